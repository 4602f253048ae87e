// Attention of one query per head, the shape of every cached decoding step. Through ATen it is two
// batched matrix products of a single row each (q kᵀ and p v, one tiny gemm per batch · head) around
// a softmax, and those gemm calls cost more than their arithmetic; here each row reads its keys and
// values once, in a loop the compiler vectorizes (AVX2 + FMA where the CPU has them, chosen at run time).
#include "one_query_attention.h"

#include "cpu_dispatch.h"
#include "shim.h"
#include "vec_exp.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace dt {
namespace {

// Where one row of the leading dimensions sits, and how far apart consecutive keys are.
struct Operands {
  const float* q;
  const float* k;
  const float* v;
  const bool* mask;  // null: every key may be attended
  at::IntArrayRef leading;
  at::IntArrayRef q_strides, k_strides, v_strides, mask_strides;
  int64_t keys, d, dv, k_step, v_step, mask_step;
  float scale;
  float* out;  // [rows, dv], contiguous
};

// The element offset of leading row `row` (row-major over `leading`) in a tensor with `strides`.
inline int64_t row_offset(int64_t row, at::IntArrayRef leading, at::IntArrayRef strides) {
  int64_t offset = 0;
  for (int64_t i = static_cast<int64_t>(leading.size()) - 1; i >= 0; --i) {
    offset += (row % leading[i]) * strides[i];
    row /= leading[i];
  }
  return offset;
}

// q · k over d elements in eight running sums, which vectorize as one register of partial sums.
__attribute__((always_inline)) inline float dot(const float* __restrict q, const float* __restrict k, int64_t d) {
  float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= d; j += 8) {
    for (int l = 0; l < 8; ++l) lanes[l] += q[j + l] * k[j + l];
  }
  float tail = 0;
  for (; j < d; ++j) tail += q[j] * k[j];
  return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7])) + tail;
}

// One row: the scores q kᵀ / √d (masked ones -1e9, as the reference's masked_fill), their softmax, and
// the probabilities' average of the values. `scores` has room for `o.keys` floats.
__attribute__((always_inline)) inline void attend_row(const Operands& o, int64_t row, float* __restrict scores) {
  const float* q = o.q + row_offset(row, o.leading, o.q_strides);
  const float* k = o.k + row_offset(row, o.leading, o.k_strides);
  const float* v = o.v + row_offset(row, o.leading, o.v_strides);
  const bool* mask = o.mask ? o.mask + row_offset(row, o.leading, o.mask_strides) : nullptr;
  float* __restrict out = o.out + row * o.dv;
  float top = -std::numeric_limits<float>::infinity();
  for (int64_t t = 0; t < o.keys; ++t) {
    const float score = mask && !mask[t * o.mask_step] ? -1e9f : dot(q, k + t * o.k_step, o.d) / o.scale;
    scores[t] = score;
    top = score > top ? score : top;
  }
  // NaN scores leave `top` alone and stay NaN through exp, so their row is NaN, as softmax's is. Where
  // no score is above -inf, x - top would turn -inf into NaN: with top 0 they weigh 0, their sum is 0,
  // and the row is NaN too (0 · 1/0), as softmax's.
  if (std::isinf(top) && top < 0) top = 0.0f;
  for (int64_t t = 0; t < o.keys; ++t) scores[t] = exp_nonpositive(scores[t] - top);
  float sum = 0;
  for (int64_t t = 0; t < o.keys; ++t) sum += scores[t];
  const float inverse = 1.0f / sum;
  for (int64_t j = 0; j < o.dv; ++j) out[j] = 0;
  for (int64_t t = 0; t < o.keys; ++t) {
    const float p = scores[t] * inverse;
    const float* __restrict vt = v + t * o.v_step;
    for (int64_t j = 0; j < o.dv; ++j) out[j] += p * vt[j];
  }
}

__attribute__((always_inline)) inline void attend_rows_body(const Operands& o, int64_t begin, int64_t end) {
  std::vector<float> scores(static_cast<size_t>(o.keys));
  for (int64_t row = begin; row < end; ++row) attend_row(o, row, scores.data());
}

DT_AVX2_DISPATCH(void, attend_rows, (const Operands& o, int64_t begin, int64_t end), attend_rows_body, (o, begin, end),
                 "avx2,fma")

bool rows_contiguous(const at::Tensor& t) { return t.size(-1) <= 1 || t.stride(-1) == 1; }

}  // namespace

bool one_query_attention_fits(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor* mask,
                              bool is_causal) {
  const auto rank = q.dim();
  if (is_causal || rank < 2 || k.dim() != rank || v.dim() != rank || q.size(-2) != 1) return false;
  for (const auto* t : {&q, &k, &v}) {
    if (t->scalar_type() != at::kFloat || !t->device().is_cpu() || !rows_contiguous(*t)) return false;
  }
  if (mask && (mask->scalar_type() != at::kBool || !mask->device().is_cpu() || mask->dim() > rank)) return false;
  if (at::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad())) return false;
  return q.sizes().slice(0, rank - 2) == k.sizes().slice(0, rank - 2) &&
         k.sizes().slice(0, rank - 1) == v.sizes().slice(0, rank - 1) && q.size(-1) == k.size(-1) && k.size(-2) > 0;
}

at::Tensor one_query_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor* mask) {
  const auto rank = q.dim();
  const auto keys = k.size(-2), d = q.size(-1), dv = v.size(-1);
  auto scores_shape = q.sizes().vec();
  scores_shape.back() = keys;
  // The mask seen at the scores' shape: broadcast dimensions get stride 0 (expand throws if it cannot).
  const at::Tensor expanded = mask ? mask->expand(scores_shape) : at::Tensor();
  auto out_shape = q.sizes().vec();
  out_shape.back() = dv;
  at::Tensor out = at::empty(out_shape, q.options());
  const at::IntArrayRef leading = q.sizes().slice(0, rank - 2);
  const Operands o{
      q.data_ptr<float>(),
      k.data_ptr<float>(),
      v.data_ptr<float>(),
      mask ? expanded.data_ptr<bool>() : nullptr,
      leading,
      q.strides().slice(0, rank - 2),
      k.strides().slice(0, rank - 2),
      v.strides().slice(0, rank - 2),
      mask ? expanded.strides().slice(0, rank - 2) : at::IntArrayRef(),
      keys,
      d,
      dv,
      k.stride(-2),
      v.stride(-2),
      mask ? expanded.stride(-1) : 0,
      static_cast<float>(std::sqrt(static_cast<double>(d))),
      out.data_ptr<float>(),
  };
  const int64_t rows = out.numel() / std::max<int64_t>(dv, 1);
  if (rows == 0 || dv == 0) return out;
  // Rows of a few thousand multiply-adds each: enough per task that threads are worth waking.
  const int64_t grain = std::max<int64_t>(1, 32768 / (keys * (d + dv) + 1));
  at::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) { attend_rows(o, begin, end); });
  return out;
}

}  // namespace dt
