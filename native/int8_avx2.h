// The project's own int8 matrix product for x86-64 CPUs with AVX2 and without VNNI, used by the dnnl
// engine (quantized_dnnl.cpp) in place of oneDNN there: oneDNN 2.6 has no int8 brgemm for such CPUs
// and takes its gemm:jit path, which packs the weights again at every call (222 us for a 256 x 256
// weight at one row, seven times the f32 product). Here the weights are packed once.
//
// The arithmetic is the dnnl engine's, bit for bit: activations quantized with one scale for the
// call and no zero point, products summed exactly in int32, times the column's scale, plus the bias.
#pragma once

#include <ATen/core/Tensor.h>

namespace dt::int8_avx2 {

// Whether this CPU runs the kernel (AVX2; the weights must lie in [-64, 64], see pack).
bool available();

// A weight [out, in] in the kernel's blocked layout, with what each column's sum needs taken away.
struct Weights {
  at::Tensor blocks;        // uint8 storage of int8 [out / 8 rounded up][in / 4 rounded up][8][4]
  at::Tensor compensation;  // int32 [out rounded up to 16]: 128 · the column's weight sum
  int64_t in, out;
};

// Packs `integers` [out, in] (int8, contiguous, every value in [-64, 64], which keeps the kernel's
// 16-bit pair sums exact: 2 · 255 · 64 = 32640).
Weights pack(const at::Tensor& integers);

// y [rows, out] = (x · inverse, rounded half to even) · w, each column times column_scales and plus
// bias when it is defined. x [rows, in] f32 contiguous, every |x · inverse| <= 127.
at::Tensor linear(const at::Tensor& x, float inverse, const Weights& w, const float* column_scales,
                  const at::Tensor& bias);

}  // namespace dt::int8_avx2
