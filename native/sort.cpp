// sort ops (issue 17): reductions, scans, sorting and counting, one line each over ATen.
#include "shim.h"

using dt::T;

// ---- reductions ----
DT_OP(prod_all, (T* x), at::prod(*x))
DT_OP(prod, (T* x, int32_t dim, int32_t keep), at::prod(*x, dim, keep != 0))
// torch.norm's two paths: a p-norm (±Infinity included) and the Frobenius norm, over `dims`.
DT_OP(norm, (T* x, double p, const double* dims, int32_t n, int32_t keep),
      at::norm(*x, p, dt::dims(dims, n), keep != 0))
DT_OP(frobenius_norm, (T* x, const double* dims, int32_t n, int32_t keep),
      at::frobenius_norm(*x, dt::dims(dims, n), keep != 0))
DT_OP(all_all, (T* x), at::all(*x))
DT_OP(all, (T* x, int32_t dim, int32_t keep), at::all(*x, dim, keep != 0))
DT_OP(any_all, (T* x), at::any(*x))
DT_OP(any, (T* x, int32_t dim, int32_t keep), at::any(*x, dim, keep != 0))
DT_OP(median_all, (T* x), at::median(*x))

// ---- scans ----
DT_OP(cumsum, (T* x, int32_t dim), at::cumsum(*x, dim))
DT_OP(cumprod, (T* x, int32_t dim), at::cumprod(*x, dim))
DT_OP(logcumsumexp, (T* x, int32_t dim), at::logcumsumexp(*x, dim))

// ---- sorting and counting: values and indices to out[0] and out[1] ----
DT_API int32_t dt_sort(T* x, int32_t dim, int32_t descending, int32_t stable, T** out) {
  DT_TRY(-1, {
    auto r = at::sort(*x, c10::optional<bool>(stable != 0), dim, descending != 0);
    dt::out_all({std::get<0>(r), std::get<1>(r)}, out);
    return 0;
  })
}
DT_OP(argsort, (T* x, int32_t dim, int32_t descending, int32_t stable),
      std::get<1>(at::sort(*x, c10::optional<bool>(stable != 0), dim, descending != 0)))
// The input made contiguous first: libtorch 1.13's median along a dim with keepdim reads garbage
// where that dim has stride 0 (an expanded tensor), as torch.median(x.expand(...), 0, keepdim=True) shows.
DT_API int32_t dt_median(T* x, int32_t dim, int32_t keep, T** out) {
  DT_TRY(-1, {
    auto r = at::median(x->contiguous(), dim, keep != 0);
    dt::out_all({std::get<0>(r), std::get<1>(r)}, out);
    return 0;
  })
}
DT_API int32_t dt_mode(T* x, int32_t dim, int32_t keep, T** out) {
  DT_TRY(-1, {
    auto r = at::mode(*x, dim, keep != 0);
    dt::out_all({std::get<0>(r), std::get<1>(r)}, out);
    return 0;
  })
}
// The sorted distinct values of x (flattened) to out[0], their counts to out[1] and, when `inverse`,
// each element's position among the values (x's shape) to out[2].
DT_API int32_t dt_unique(T* x, int32_t inverse, T** out) {
  DT_TRY(-1, {
    auto r = at::_unique2(*x, /*sorted=*/true, inverse != 0, /*return_counts=*/true);
    if (inverse != 0) {
      dt::out_all({std::get<0>(r), std::get<2>(r), std::get<1>(r)}, out);
    } else {
      dt::out_all({std::get<0>(r), std::get<2>(r)}, out);
    }
    return 0;
  })
}
