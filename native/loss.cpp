// Losses (issue 17): one line each over ATen. reduction: 0 none, 1 mean, 2 sum (at::Reduction's
// order); kl_div also takes 3, batchmean.
#include "shim.h"

using dt::T;

namespace {
c10::optional<at::Tensor> maybe(T* t) { return t ? c10::optional<at::Tensor>(*t) : c10::nullopt; }

// F.mse_loss & co. broadcast input and target before the kernel, so the kernels (and their
// backward) see two tensors of one shape.
std::vector<at::Tensor> broadcast(const at::Tensor& a, const at::Tensor& b) { return at::broadcast_tensors({a, b}); }

at::Tensor pointwise(const at::Tensor& a, const at::Tensor& b, int kind, int64_t reduction, double param) {
  const auto ab = broadcast(a, b);
  if (kind == 0) return at::mse_loss(ab[0], ab[1], reduction);
  if (kind == 1) return at::l1_loss(ab[0], ab[1], reduction);
  if (kind == 2) return at::smooth_l1_loss(ab[0], ab[1], reduction, param);
  return at::huber_loss(ab[0], ab[1], reduction, param);
}

// F.nll_loss's call; on CUDA the targets are checked here first (as cross_entropy does), since the
// kernel's device-side assert would poison the context.
at::Tensor nll(const at::Tensor& x, const at::Tensor& target, const c10::optional<at::Tensor>& w, int64_t reduction,
               int64_t ignore) {
  if (target.is_cuda() && target.numel() > 0) {
    const auto classes = x.size(x.dim() == 1 ? 0 : 1);
    const auto bad = at::logical_and(target.ne(ignore), at::logical_or(target.lt(0), target.ge(classes)));
    TORCH_CHECK(!bad.any().item<bool>(), "nllLoss: a target is outside [0, ", classes, ")");
  }
  return at::nll_loss_nd(x, target, w, reduction, ignore);
}

at::Tensor kl_divergence(const at::Tensor& x, const at::Tensor& target, int64_t reduction, bool log_target) {
  if (reduction != 3) return at::kl_div(x, target, reduction, log_target);
  const auto total = at::kl_div(x, target, at::Reduction::Sum, log_target);
  return x.dim() == 0 ? total : total / x.size(0);
}
}  // namespace

// kind: 0 mse, 1 l1, 2 smooth l1 (param: beta), 3 huber (param: delta).
DT_OP(pointwise_loss, (T* a, T* b, int32_t kind, int32_t reduction, double param),
      pointwise(*a, *b, kind, reduction, param))
DT_OP(nll_loss, (T* x, T* target, T* w, int32_t reduction, int32_t ignore), nll(*x, *target, maybe(w), reduction, ignore))
// F.binary_cross_entropy expands the weight to the input's shape first.
DT_OP(binary_cross_entropy, (T* x, T* target, T* w, int32_t reduction),
      at::binary_cross_entropy(*x, *target, w ? c10::optional<at::Tensor>(w->expand(x->sizes())) : c10::nullopt,
                               reduction))
DT_OP(binary_cross_entropy_with_logits, (T* x, T* target, T* w, T* pos_weight, int32_t reduction),
      at::binary_cross_entropy_with_logits(*x, *target, maybe(w), maybe(pos_weight), reduction))
DT_OP(kl_div, (T* x, T* target, int32_t reduction, int32_t log_target),
      kl_divergence(*x, *target, reduction, log_target != 0))
DT_OP(cosine_embedding_loss, (T* a, T* b, T* y, double margin, int32_t reduction),
      at::cosine_embedding_loss(*a, *b, *y, margin, reduction))
