// Convolutions, pooling and resampling (issue 17): one line each over ATen. The integer arguments
// (kernel sizes, strides, paddings, dilations) come packed in one f64 buffer, `n` per kind in the
// order each op lists them, and are checked in lib/ops/conv.ts before the call.
#include "shim.h"

using dt::T;

namespace {
using at::IntArrayRef;

c10::optional<at::Tensor> maybe(T* t) { return t ? c10::optional<at::Tensor>(*t) : c10::nullopt; }

// The `n` spatial sizes of kind `k` (0: first kind) in a packed parameter vector.
IntArrayRef part(const std::vector<int64_t>& p, int n, int k) { return IntArrayRef(p.data() + k * n, n); }

void check_spatial(int n, const char* op) { TORCH_CHECK(n >= 1 && n <= 3, op, ": 1 to 3 spatial dims, got ", n); }

// params: stride, padding, dilation. mode 0: explicit padding; 1 "same"; 2 "valid" (string padding,
// which pads the odd extra on the right as torch does; a symmetric padding cannot).
at::Tensor conv(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b, const double* params,
                int n, int64_t groups, int mode) {
  check_spatial(n, "conv");
  const auto p = dt::dims(params, 3 * n);
  const auto stride = part(p, n, 0), padding = part(p, n, 1), dilation = part(p, n, 2);
  if (mode != 0) {
    const c10::string_view pad = mode == 1 ? "same" : "valid";
    if (n == 1) return at::conv1d(x, w, b, stride, pad, dilation, groups);
    if (n == 2) return at::conv2d(x, w, b, stride, pad, dilation, groups);
    return at::conv3d(x, w, b, stride, pad, dilation, groups);
  }
  if (n == 1) return at::conv1d(x, w, b, stride, padding, dilation, groups);
  if (n == 2) return at::conv2d(x, w, b, stride, padding, dilation, groups);
  return at::conv3d(x, w, b, stride, padding, dilation, groups);
}

// params: stride, padding, output padding, dilation.
at::Tensor conv_transpose(const at::Tensor& x, const at::Tensor& w, const c10::optional<at::Tensor>& b,
                          const double* params, int n, int64_t groups) {
  check_spatial(n, "convTranspose");
  const auto p = dt::dims(params, 4 * n);
  const auto stride = part(p, n, 0), padding = part(p, n, 1), out_pad = part(p, n, 2), dilation = part(p, n, 3);
  if (n == 1) return at::conv_transpose1d(x, w, b, stride, padding, out_pad, groups, dilation);
  if (n == 2) return at::conv_transpose2d(x, w, b, stride, padding, out_pad, groups, dilation);
  return at::conv_transpose3d(x, w, b, stride, padding, out_pad, groups, dilation);
}

// params: kernel, stride, padding, dilation.
std::vector<at::Tensor> max_pool(const at::Tensor& x, const double* params, int n, bool ceil, bool indices) {
  check_spatial(n, "maxPool");
  const auto p = dt::dims(params, 4 * n);
  const auto k = part(p, n, 0), s = part(p, n, 1), pad = part(p, n, 2), d = part(p, n, 3);
  if (!indices) {
    if (n == 1) return {at::max_pool1d(x, k, s, pad, d, ceil)};
    if (n == 2) return {at::max_pool2d(x, k, s, pad, d, ceil)};
    return {at::max_pool3d(x, k, s, pad, d, ceil)};
  }
  auto r = n == 1 ? at::max_pool1d_with_indices(x, k, s, pad, d, ceil)
         : n == 2 ? at::max_pool2d_with_indices(x, k, s, pad, d, ceil)
                  : at::max_pool3d_with_indices(x, k, s, pad, d, ceil);
  return {std::get<0>(r), std::get<1>(r)};
}

// params: kernel, stride, padding.
at::Tensor avg_pool(const at::Tensor& x, const double* params, int n, bool ceil, bool count_pad) {
  check_spatial(n, "avgPool");
  const auto p = dt::dims(params, 3 * n);
  const auto k = part(p, n, 0), s = part(p, n, 1), pad = part(p, n, 2);
  if (n == 1) return at::avg_pool1d(x, k, s, pad, ceil, count_pad);
  if (n == 2) return at::avg_pool2d(x, k, s, pad, ceil, count_pad);
  return at::avg_pool3d(x, k, s, pad, ceil, count_pad);
}

// F.interpolate's call: either output sizes or scale factors (which also set the coordinate map).
at::Tensor interpolate(const at::Tensor& x, const double* values, int n, bool scales, int mode, bool align) {
  check_spatial(n, "interpolate");
  c10::optional<std::vector<int64_t>> size;
  c10::optional<std::vector<double>> factors;
  if (scales) factors = std::vector<double>(values, values + n);
  else size = dt::dims(values, n);
  const at::OptionalIntArrayRef out = size ? at::OptionalIntArrayRef(*size) : c10::nullopt;
  const auto f = factors ? c10::optional<at::ArrayRef<double>>(*factors) : c10::nullopt;
  if (mode == 1) {
    TORCH_CHECK(n == 2, "interpolate: bilinear needs 2 spatial dims, got ", n);
    return at::upsample_bilinear2d(x, out, align, f);
  }
  if (n == 1) return at::upsample_nearest1d(x, out, f);
  if (n == 2) return at::upsample_nearest2d(x, out, f);
  return at::upsample_nearest3d(x, out, f);
}
}  // namespace

DT_OP(conv, (T* x, T* w, T* b, const double* params, int32_t n, int32_t groups, int32_t mode),
      conv(*x, *w, maybe(b), params, n, groups, mode))
DT_OP(conv_transpose, (T* x, T* w, T* b, const double* params, int32_t n, int32_t groups),
      conv_transpose(*x, *w, maybe(b), params, n, groups))
DT_OP(max_pool, (T* x, const double* params, int32_t n, int32_t ceil),
      max_pool(*x, params, n, ceil != 0, false)[0])
// Values and i64 indices (flat positions within each input plane), written to out[0] and out[1].
DT_API int32_t dt_max_pool_with_indices(T* x, const double* params, int32_t n, int32_t ceil, T** out) {
  DT_TRY(-1, dt::out_all(max_pool(*x, params, n, ceil != 0, true), out); return 0;)
}
DT_OP(avg_pool, (T* x, const double* params, int32_t n, int32_t ceil, int32_t count_pad),
      avg_pool(*x, params, n, ceil != 0, count_pad != 0))
DT_OP(adaptive_avg_pool2d, (T* x, const double* sizes), at::adaptive_avg_pool2d(*x, dt::dims(sizes, 2)))
// mode 0: nearest, 1: bilinear; `values` are n output sizes, or n scale factors when `scales`.
DT_OP(interpolate, (T* x, const double* values, int32_t n, int32_t scales, int32_t mode, int32_t align),
      interpolate(*x, values, n, scales != 0, mode, align != 0))
