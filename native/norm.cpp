// Normalizations (issue 17): one line each over ATen.
#include "shim.h"
#include "std_layer_norm.h"

using dt::T;

namespace {
c10::optional<at::Tensor> maybe(T* t) { return t ? c10::optional<at::Tensor>(*t) : c10::nullopt; }

// x · rsqrt(mean(x², last `rank` dims) + eps) · weight: torch 2.x's F.rms_norm, composed from ops
// (libtorch 1.13 has none), so autograd differentiates it as it would the composition.
at::Tensor rms_norm(const at::Tensor& x, int64_t rank, const c10::optional<at::Tensor>& w, double eps) {
  dt::trailing_sizes(x, rank, "rmsNorm");
  std::vector<int64_t> dims;
  for (int64_t d = x.dim() - rank; d < x.dim(); d++) dims.push_back(d);
  auto y = x * at::rsqrt(x.pow(2).mean(dims, /*keepdim=*/true) + eps);
  return w ? y * *w : y;
}
}  // namespace

// The running statistics are never updated where they lie: batch_norm updates copies of them, and
// those copies are the new state, out[1] and out[2] (out[0] is the normalized x).
DT_API int32_t dt_batch_norm(T* x, T* weight, T* bias, T* mean, T* var, int32_t training, double momentum, double eps,
                             T** out) {
  DT_TRY(-1, {
    auto m = mean->detach().clone(), v = var->detach().clone();
    auto y = at::batch_norm(*x, maybe(weight), maybe(bias), m, v, training != 0, momentum, eps, false);
    dt::out_all({y, m, v}, out);
    return 0;
  })
}
DT_OP(group_norm, (T* x, int32_t groups, T* w, T* b, double eps), at::group_norm(*x, groups, maybe(w), maybe(b), eps))
DT_OP(instance_norm, (T* x, T* w, T* b, double eps),
      at::instance_norm(*x, maybe(w), maybe(b), c10::nullopt, c10::nullopt, true, 0.1, eps, false))
DT_OP(rms_norm, (T* x, int32_t rank, T* w, double eps), rms_norm(*x, rank, maybe(w), eps))

// alpha · (x − mean) / (std + eps) + bias over the last dimension, with the unbiased std (the
// Annotated Transformer's layer norm, and the seed's): the PyTorch module's operations in its order,
// so results and gradients are its own bit for bit, in one call instead of seven.
DT_API T* dt_std_layer_norm(T* x, T* alpha, T* bias, double eps) {
  DT_TRY(nullptr, {
    TORCH_CHECK(x->dim() >= 1, "stdLayerNorm: x needs a last dimension, got shape ", x->sizes());
    return dt::out(dt::std_layer_norm(*x, *alpha, *bias, eps));
  })
}

