// math ops (issue 17): one line each over ATen.
#include "shim.h"

using dt::T;

namespace {
// A number beside a tensor for ops that ATen has only in a tensor form (atan2): a 0-dim tensor of the
// dtype `x op s` would have with a Python float s (x's for floats, the default float otherwise), so
// that it never promotes x.
at::Tensor number_tensor(const at::Tensor& x, double s) {
  auto type = at::isFloatingType(x.scalar_type()) ? x.scalar_type() : at::kFloat;
  return at::scalar_tensor(s, x.options().dtype(type));
}
}  // namespace

// ---- activations ----
DT_OP(silu, (T* x), at::silu(*x))
DT_OP(softplus, (T* x, double beta, double threshold), at::softplus(*x, beta, threshold))
DT_OP(elu, (T* x, double alpha), at::elu(*x, alpha))
DT_OP(leaky_relu, (T* x, double slope), at::leaky_relu(*x, slope))
DT_OP(mish, (T* x), at::mish(*x))
DT_OP(hardtanh, (T* x, double lo, double hi), at::hardtanh(*x, lo, hi))

// ---- unary ----
DT_OP(erf, (T* x), at::erf(*x))
DT_OP(log1p, (T* x), at::log1p(*x))
DT_OP(expm1, (T* x), at::expm1(*x))
DT_OP(log2, (T* x), at::log2(*x))
DT_OP(floor, (T* x), at::floor(*x))
DT_OP(ceil, (T* x), at::ceil(*x))
DT_OP(round, (T* x), at::round(*x))
DT_OP(trunc, (T* x), at::trunc(*x))
DT_OP(sign, (T* x), at::sign(*x))
DT_OP(square, (T* x), at::square(*x))

// ---- binary (broadcasting), with a number form ----
DT_OP(fmod, (T* a, T* b), at::fmod(*a, *b))
DT_OP(fmod_scalar, (T* a, double s), at::fmod(*a, dt::scalar(*a, s)))
DT_OP(remainder, (T* a, T* b), at::remainder(*a, *b))
DT_OP(remainder_scalar, (T* a, double s), at::remainder(*a, dt::scalar(*a, s)))
DT_OP(atan2, (T* a, T* b), at::atan2(*a, *b))
DT_OP(atan2_scalar, (T* a, double s), at::atan2(*a, number_tensor(*a, s)))
DT_OP(lerp, (T* start, T* end, T* weight), at::lerp(*start, *end, *weight))
DT_OP(lerp_scalar, (T* start, T* end, double weight), at::lerp(*start, *end, weight))

// ---- closeness ----
DT_OP(isclose, (T* a, T* b, double rtol, double atol, int32_t equal_nan),
      at::isclose(*a, *b, rtol, atol, equal_nan != 0))
// 1 when every pair is close, 0 when not, -1 on failure.
DT_API int32_t dt_allclose(T* a, T* b, double rtol, double atol, int32_t equal_nan) {
  DT_TRY(-1, return at::allclose(*a, *b, rtol, atol, equal_nan != 0) ? 1 : 0;)
}
