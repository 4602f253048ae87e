// Elementwise, shape and reduction ops: one line each over ATen.
#include "shim.h"
#include "welford_std.h"

using dt::T;

// ---- elementwise, tensor ⊕ tensor (broadcasting) ----
DT_OP(add, (T* a, T* b), *a + *b)
DT_OP(sub, (T* a, T* b), *a - *b)
DT_OP(mul, (T* a, T* b), *a * *b)
DT_OP(div, (T* a, T* b), *a / *b)
DT_OP(pow, (T* a, T* b), at::pow(*a, *b))
DT_OP(maximum, (T* a, T* b), at::maximum(*a, *b))
DT_OP(minimum, (T* a, T* b), at::minimum(*a, *b))
DT_OP(eq, (T* a, T* b), at::eq(*a, *b))
DT_OP(ne, (T* a, T* b), at::ne(*a, *b))
DT_OP(lt, (T* a, T* b), at::lt(*a, *b))
DT_OP(le, (T* a, T* b), at::le(*a, *b))
DT_OP(gt, (T* a, T* b), at::gt(*a, *b))
DT_OP(ge, (T* a, T* b), at::ge(*a, *b))
DT_OP(logical_and, (T* a, T* b), at::logical_and(*a, *b))
DT_OP(logical_or, (T* a, T* b), at::logical_or(*a, *b))

// ---- elementwise, tensor ⊕ scalar ----
DT_OP(add_scalar, (T* a, double s), *a + dt::scalar(*a, s))
DT_OP(sub_scalar, (T* a, double s), *a - dt::scalar(*a, s))
DT_OP(rsub_scalar, (T* a, double s), at::rsub(*a, dt::scalar(*a, s)))
DT_OP(mul_scalar, (T* a, double s), *a * dt::scalar(*a, s))
DT_OP(div_scalar, (T* a, double s), *a / dt::scalar(*a, s))
DT_OP(rdiv_scalar, (T* a, double s), at::reciprocal(*a) * dt::scalar(*a, s))
DT_OP(pow_scalar, (T* a, double s), at::pow(*a, dt::scalar(*a, s)))
DT_OP(eq_scalar, (T* a, double s), at::eq(*a, dt::scalar(*a, s)))
DT_OP(ne_scalar, (T* a, double s), at::ne(*a, dt::scalar(*a, s)))
DT_OP(lt_scalar, (T* a, double s), at::lt(*a, dt::scalar(*a, s)))
DT_OP(le_scalar, (T* a, double s), at::le(*a, dt::scalar(*a, s)))
DT_OP(gt_scalar, (T* a, double s), at::gt(*a, dt::scalar(*a, s)))
DT_OP(ge_scalar, (T* a, double s), at::ge(*a, dt::scalar(*a, s)))
// has_min/has_max select which bound applies, so either side may be open.
DT_OP(clamp, (T* x, int32_t has_min, double min, int32_t has_max, double max),
      at::clamp(*x, has_min ? c10::optional<at::Scalar>(dt::scalar(*x, min)) : c10::nullopt,
                has_max ? c10::optional<at::Scalar>(dt::scalar(*x, max)) : c10::nullopt))

// ---- elementwise, unary ----
DT_OP(neg, (T* x), at::neg(*x))
DT_OP(abs, (T* x), at::abs(*x))
DT_OP(exp, (T* x), at::exp(*x))
DT_OP(log, (T* x), at::log(*x))
DT_OP(sqrt, (T* x), at::sqrt(*x))
DT_OP(rsqrt, (T* x), at::rsqrt(*x))
DT_OP(tanh, (T* x), at::tanh(*x))
DT_OP(sigmoid, (T* x), at::sigmoid(*x))
DT_OP(relu, (T* x), at::relu(*x))
DT_OP(gelu, (T* x, int32_t tanh_approx), at::gelu(*x, tanh_approx ? "tanh" : "none"))
DT_OP(sin, (T* x), at::sin(*x))
DT_OP(cos, (T* x), at::cos(*x))
DT_OP(reciprocal, (T* x), at::reciprocal(*x))
DT_OP(logical_not, (T* x), at::logical_not(*x))
DT_OP(isnan, (T* x), at::isnan(*x))
DT_OP(isfinite, (T* x), at::isfinite(*x))

// ---- selection ----
DT_OP(where, (T* cond, T* a, T* b), at::where(*cond, *a, *b))
DT_OP(masked_fill, (T* x, T* mask, double value), at::masked_fill(*x, *mask, value))
DT_OP(tril, (T* x, int32_t k), at::tril(*x, k))
DT_OP(triu, (T* x, int32_t k), at::triu(*x, k))

// ---- linear algebra ----
DT_OP(matmul, (T* a, T* b), at::matmul(*a, *b))
DT_OP(bmm, (T* a, T* b), at::bmm(*a, *b))
DT_OP(linear, (T* x, T* w, T* b), dt::linear(*x, *w, b))

// ---- shape ----
DT_OP(reshape, (T* x, const double* sizes, int32_t rank), x->reshape(dt::dims(sizes, rank)))
DT_OP(view, (T* x, const double* sizes, int32_t rank), x->view(dt::dims(sizes, rank)))
DT_OP(expand, (T* x, const double* sizes, int32_t rank), x->expand(dt::dims(sizes, rank)))
DT_OP(transpose, (T* x, int32_t d0, int32_t d1), x->transpose(d0, d1))
DT_OP(permute, (T* x, const double* order, int32_t rank), x->permute(dt::dims(order, rank)))
DT_OP(contiguous, (T* x), x->contiguous())
DT_OP(squeeze, (T* x, int32_t dim), x->squeeze(dim))
DT_OP(unsqueeze, (T* x, int32_t dim), x->unsqueeze(dim))
DT_OP(slice, (T* x, int32_t dim, double start, double end, double step),
      x->slice(dim, static_cast<int64_t>(start), static_cast<int64_t>(end), static_cast<int64_t>(step)))
DT_OP(cat, (T** items, int32_t n, int32_t dim), at::cat(dt::list(items, n), dim))
DT_OP(stack, (T** items, int32_t n, int32_t dim), at::stack(dt::list(items, n), dim))
DT_API dt::T* dt_gather(T* x, int32_t dim, T* index) {
  DT_TRY(nullptr, dt::check_index_range(*index, x->size(dim)); return dt::out(at::gather(*x, dim, *index));)
}
DT_API dt::T* dt_index_select(T* x, int32_t dim, T* index) {
  DT_TRY(nullptr, dt::check_index_range(*index, x->size(dim));
         return dt::out(at::index_select(*x, dim, *index));)
}

// ---- reductions ----
DT_OP(sum, (T* x, const double* dims, int32_t n, int32_t keep), at::sum(*x, dt::dims(dims, n), keep != 0))
DT_OP(sum_all, (T* x), at::sum(*x))
DT_OP(mean, (T* x, const double* dims, int32_t n, int32_t keep), at::mean(*x, dt::dims(dims, n), keep != 0))
DT_OP(mean_all, (T* x), at::mean(*x))
// The std over the last dimension alone takes dt::std_last_dim (ATen's result, many rows at a time).
DT_API dt::T* dt_std(T* x, const double* dims, int32_t n, int32_t unbiased, int32_t keep) {
  DT_TRY(nullptr, {
    const auto d = dt::dims(dims, n);
    if (d.size() == 1 && x->dim() >= 1 && (d[0] == -1 || d[0] == x->dim() - 1)) {
      const auto s = dt::std_last_dim(*x, unbiased != 0);
      return dt::out(keep ? s : s.squeeze(-1));
    }
    return dt::out(at::std(*x, at::IntArrayRef(d), unbiased != 0, keep != 0));
  })
}
DT_OP(var, (T* x, const double* dims, int32_t n, int32_t unbiased, int32_t keep),
      at::var(*x, at::IntArrayRef(dt::dims(dims, n)), unbiased != 0, keep != 0))
DT_OP(amax, (T* x, const double* dims, int32_t n, int32_t keep), at::amax(*x, dt::dims(dims, n), keep != 0))
DT_OP(amin, (T* x, const double* dims, int32_t n, int32_t keep), at::amin(*x, dt::dims(dims, n), keep != 0))
DT_OP(max_all, (T* x), at::max(*x))
DT_OP(min_all, (T* x), at::min(*x))
DT_OP(argmax, (T* x, int32_t dim, int32_t keep), at::argmax(*x, dim, keep != 0))
DT_OP(argmin, (T* x, int32_t dim, int32_t keep), at::argmin(*x, dim, keep != 0))
DT_OP(logsumexp, (T* x, int32_t dim, int32_t keep), at::logsumexp(*x, dim, keep != 0))
DT_OP(softmax, (T* x, int32_t dim), at::softmax(*x, dim))
DT_OP(log_softmax, (T* x, int32_t dim), at::log_softmax(*x, dim))

// Top-k values and indices along `dim`, written to out[0] and out[1].
DT_API int32_t dt_topk(T* x, int32_t k, int32_t dim, int32_t largest, int32_t sorted, T** out) {
  DT_TRY(-1, {
    auto r = at::topk(*x, k, dim, largest != 0, sorted != 0);
    dt::out_all({std::get<0>(r), std::get<1>(r)}, out);
    return 0;
  })
}
