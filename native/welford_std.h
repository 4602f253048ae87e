// The standard deviation over the last dimension, as at::std computes it on the CPU but many rows at
// a time (see welford_std.cpp).
#pragma once

#include <ATen/core/Tensor.h>

namespace dt {

// at::std(x, {-1}, unbiased, /*keepdim=*/true), bit for bit. f32 rows on the CPU that no gradient
// flows through take a kernel that runs ATen's own Welford recurrence for several rows in parallel
// vector lanes; anything else takes at::std itself.
at::Tensor std_last_dim(const at::Tensor& x, bool unbiased);

}  // namespace dt
