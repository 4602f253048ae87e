// Attention of a single query per head over its keys, the shape of every cached decoding step: a
// native loop instead of two batched matrix products of one row each (see one_query_attention.cpp).
#pragma once

#include <ATen/core/Tensor.h>

namespace dt {

// Whether `one_query_attention` takes q [..., 1, d], k [..., keys, d], v [..., keys, dv] and `mask`
// (null, or bool broadcasting to [..., 1, keys]): f32 on the CPU, one query, the same leading sizes,
// rows contiguous, no causal mask, and nothing that autograd would have to record.
bool one_query_attention_fits(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor* mask,
                              bool is_causal);

// softmax(q kᵀ / √d, with the scores where `mask` is false set to -1e9) v, as [..., 1, dv]. It agrees
// with the composition to float rounding, not bit for bit: its sums run in another order, and its exp
// is its own (within 2 ulp).
at::Tensor one_query_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor* mask);

}  // namespace dt
