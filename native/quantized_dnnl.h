// int8 linear layers on oneDNN's own matmul kernels (see quantized_dnnl.cpp), used by quantized.cpp
// as the "dnnl" engine. Without oneDNN's headers at build time, available() is false and the rest throws.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>

namespace dt::dnnl_int8 {

// A weight quantized and packed in the layout oneDNN's int8 kernel reads, with its per-row scales.
struct Weights;

// Whether this build has the engine (oneDNN's headers were found and libdnnl is linked).
bool available();

// Packs `integers` [out, in] (int8, contiguous), whose rows dequantize with `scales` [out] (f32).
std::shared_ptr<Weights> pack(const at::Tensor& integers, const at::Tensor& scales);

// Packs `weight` [out, in] (f32, contiguous) as it is, for oneDNN's f32 kernel.
std::shared_ptr<Weights> pack_f32(const at::Tensor& weight);

// x [rows, in] (f32, contiguous) → [rows, out] f32, plus `bias` [out] when defined. With int8 weights
// x is quantized symmetrically (one scale for the call, max |x| / 127, no zero point), multiplied in
// int8 and scaled back; with f32 weights it is multiplied as it is.
at::Tensor linear(const at::Tensor& x, const Weights& w, const at::Tensor& bias);

}  // namespace dt::dnnl_int8
