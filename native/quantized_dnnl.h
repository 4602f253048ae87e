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

// What the largest weight magnitude is quantized to: 127.5 (ints in [-128, 127]) where the CPU has
// VNNI, whose int8 products add up exactly; 63.5 (ints in [-64, 64]) elsewhere. Without VNNI
// (AVX2, AVX-512 without VNNI) oneDNN adds each pair of u8 · s8 products into 16 bits, and with
// activations shifted to u8 a pair overflows once a weight passes 64: 2 · 255 · 64 = 32640 fits,
// 2 · 255 · 127 does not (and silently saturates).
double weight_divisor();

// Packs `integers` [out, in] (int8, contiguous), whose rows dequantize with `scales` [out] (f32).
std::shared_ptr<Weights> pack(const at::Tensor& integers, const at::Tensor& scales);

// Packs `weight` [out, in] (f32, contiguous) as it is, for oneDNN's f32 kernel.
std::shared_ptr<Weights> pack_f32(const at::Tensor& weight);

// x [rows, in] (f32, contiguous) → [rows, out] f32, plus `bias` [out] when defined. With int8 weights
// x is quantized symmetrically (one scale for the call, max |x| / 127, no zero point), multiplied in
// int8 and scaled back; with f32 weights it is multiplied as it is.
at::Tensor linear(const at::Tensor& x, const Weights& w, const at::Tensor& bias);

}  // namespace dt::dnnl_int8
