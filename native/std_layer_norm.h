// The seed's layer norm, alpha · (x − mean) / (std + eps) + bias over the last dimension, as its
// PyTorch module computes it, bit for bit (see std_layer_norm.cpp).
#pragma once

#include <ATen/core/Tensor.h>

namespace dt {

// The module's operations in its order. f32 rows on the CPU that no gradient flows through, with
// alpha and bias of the last dimension's size, take one pass after the mean and the std instead of
// five; anything else takes the composition of ATen's ops (and autograd through it).
at::Tensor std_layer_norm(const at::Tensor& x, const at::Tensor& alpha, const at::Tensor& bias, double eps);

}  // namespace dt
