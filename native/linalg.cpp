// linalg ops (issue 17): one line each over ATen. Decompositions use at::linalg_* (LAPACK on CPU);
// their failures (a singular or non-positive-definite input) come back as libtorch's message.
#include "shim.h"

using dt::T;

// ---- products ----
DT_OP(einsum, (const char* equation, T** operands, int32_t n), at::einsum(equation, dt::list(operands, n)))
DT_OP(outer, (T* a, T* b), at::outer(*a, *b))
DT_OP(addmm, (T* input, T* a, T* b, double beta, double alpha),
      at::addmm(*input, *a, *b, dt::scalar(*input, beta), dt::scalar(*input, alpha)))
// libtorch 1.13's CPU baddbmm with beta = 0 does not copy `input` into its fresh result and then
// scales that uninitialized memory by 0: NaNs left there by a freed tensor came through (seen by the
// differential fuzzer, reproduced by filling and freeing a buffer first). beta = 0 means "ignore
// input" (its NaNs too), so it runs as beta = 1 over zeros: alpha · (a @ b), whatever was there.
DT_API dt::T* dt_baddbmm(T* input, T* a, T* b, double beta, double alpha) {
  DT_TRY(nullptr, {
    if (beta == 0) return dt::out(at::baddbmm(at::zeros_like(*input), *a, *b, 1, dt::scalar(*input, alpha)));
    return dt::out(at::baddbmm(*input, *a, *b, dt::scalar(*input, beta), dt::scalar(*input, alpha)));
  })
}
DT_OP(tensordot, (T* a, T* b, const double* dims_a, const double* dims_b, int32_t n),
      at::tensordot(*a, *b, dt::dims(dims_a, n), dt::dims(dims_b, n)))
DT_OP(kron, (T* a, T* b), at::kron(*a, *b))

// ---- inverses and determinants ----
DT_OP(inverse, (T* a), at::linalg_inv(*a))
DT_OP(det, (T* a), at::linalg_det(*a))
DT_OP(solve, (T* a, T* b), at::linalg_solve(*a, *b))
DT_OP(cholesky, (T* a, int32_t upper), at::linalg_cholesky(*a, upper != 0))

// ---- decompositions with several outputs, written to out[0], out[1], ... ----
DT_API int32_t dt_slogdet(T* a, T** out) {
  DT_TRY(-1, {
    auto r = at::linalg_slogdet(*a);
    dt::out_all({std::get<0>(r), std::get<1>(r)}, out);
    return 0;
  })
}
// mode 0: reduced, 1: complete.
DT_API int32_t dt_qr(T* a, int32_t mode, T** out) {
  DT_TRY(-1, {
    auto r = at::linalg_qr(*a, mode == 1 ? "complete" : "reduced");
    dt::out_all({std::get<0>(r), std::get<1>(r)}, out);
    return 0;
  })
}
DT_API int32_t dt_svd(T* a, int32_t full_matrices, T** out) {
  DT_TRY(-1, {
    auto r = at::linalg_svd(*a, full_matrices != 0);
    dt::out_all({std::get<0>(r), std::get<1>(r), std::get<2>(r)}, out);
    return 0;
  })
}
// upper 0: the lower triangle is read ("L"), 1: the upper ("U").
DT_API int32_t dt_eigh(T* a, int32_t upper, T** out) {
  DT_TRY(-1, {
    auto r = at::linalg_eigh(*a, upper != 0 ? "U" : "L");
    dt::out_all({std::get<0>(r), std::get<1>(r)}, out);
    return 0;
  })
}
