// Optimizer arithmetic, one call per parameter, following PyTorch's single-tensor code paths so that
// updates agree with torch.optim to the last bit. By default results are fresh tensors and the inputs
// (params, gradients, moments) are never modified, which keeps the TypeScript optimizers pure. With
// `in_place` the caller donates the parameter and moments: they are updated where they lie (the same
// arithmetic, so the same bits) and the results are new handles to them, which saves a copy of the
// parameters and both moments per step, in time and in peak memory.
#include "shim.h"

#include <algorithm>

#include <ATen/MemoryOverlap.h>     // at::has_internal_overlap
#include <ATen/core/grad_mode.h>  // at::NoGradGuard: not pulled in by ATen.h in 2.x

#include <cmath>
#include <unordered_set>

using dt::T;

// Adam (decoupled = 0) or AdamW (decoupled = 1) for one parameter at step `step` (1-based).
// out[0] = new parameter, out[1] = new first moment, out[2] = new second moment.
DT_API int32_t dt_adam(T* p, T* g, T* m, T* v, double lr, double beta1, double beta2, double eps, double weight_decay,
                       int32_t decoupled, double step, int32_t in_place, T** out) {
  DT_TRY(-1, {
    at::NoGradGuard no_grad;
    TORCH_CHECK(p->sizes() == g->sizes() && p->sizes() == m->sizes() && p->sizes() == v->sizes(),
                "parameter ", p->sizes(), ", gradient ", g->sizes(), " and moments ", m->sizes(), "/", v->sizes(),
                " must have one shape");
    auto param = in_place ? p->detach() : p->detach().clone();
    auto grad = g->detach();
    if (weight_decay != 0) {
      if (decoupled) param.mul_(1 - lr * weight_decay);
      else grad = grad.add(p->detach(), weight_decay);
    }
    auto exp_avg = (in_place ? *m : m->clone()).mul_(beta1).add_(grad, 1 - beta1);
    auto exp_avg_sq = (in_place ? *v : v->clone()).mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    const double bias_correction1 = 1 - std::pow(beta1, step);
    const double bias_correction2 = 1 - std::pow(beta2, step);
    const double step_size = lr / bias_correction1;
    auto denom = (exp_avg_sq.sqrt() / std::sqrt(bias_correction2)).add_(eps);
    param.addcdiv_(exp_avg, denom, -step_size);
    dt::out_all({param, exp_avg, exp_avg_sq}, out);
    return 0;
  })
}

// Gradients scaled so that their global L2 norm is at most max_norm, as torch.nn.utils.clip_grad_norm_
// computes it. out[i] = scaled gradient i; out[n] = the total norm before clipping (0-dim tensor).
// With `in_place` the donated gradients are scaled where they lie (torch's own clip_grad_norm_ does so),
// unless two of them overlap in memory (autograd may hand one buffer to several inputs), which in
// place would be scaled twice: then all are scaled into fresh tensors. Disjoint slices of one buffer
// (a data-parallel step's gradients are views into their buckets) are scaled in place. A gradient that
// overlaps itself (the stride-0 expansion autograd hands back for sum(w)) cannot be written in place
// at all: that one alone is scaled into a fresh tensor.
namespace {
bool overlapping(T** xs, int32_t n) {
  std::vector<std::pair<uintptr_t, uintptr_t>> spans;  // [first byte, past the last)
  for (int32_t i = 0; i < n; i++) {
    const auto& x = *xs[i];
    if (x.numel() == 0) continue;
    const auto start = reinterpret_cast<uintptr_t>(x.is_contiguous() ? x.data_ptr() : x.storage().data());
    const auto bytes = x.is_contiguous() ? x.numel() * static_cast<int64_t>(x.element_size())
                                         : static_cast<int64_t>(x.storage().nbytes());
    spans.emplace_back(start, start + bytes);
  }
  std::sort(spans.begin(), spans.end());
  for (size_t k = 1; k < spans.size(); k++) {
    if (spans[k].first < spans[k - 1].second) return true;
  }
  return false;
}
}  // namespace

DT_API int32_t dt_clip_grad_norm(T** grads, int32_t n, double max_norm, int32_t in_place, T** out) {
  DT_TRY(-1, {
    at::NoGradGuard no_grad;
    TORCH_CHECK(n > 0, "no gradients to clip");
    std::vector<at::Tensor> norms;
    norms.reserve(n);
    for (int32_t i = 0; i < n; i++) norms.push_back(at::norm(*grads[i], 2));
    auto total = at::norm(at::stack(norms), 2);
    auto coef = at::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
    in_place = in_place && !overlapping(grads, n);
    std::vector<at::Tensor> results;
    results.reserve(n + 1);
    for (int32_t i = 0; i < n; i++) {
      const bool writable = at::has_internal_overlap(*grads[i]) == at::MemOverlap::No;
      results.push_back(in_place && writable ? grads[i]->mul_(coef) : *grads[i] * coef);
    }
    results.push_back(total);
    dt::out_all(std::move(results), out);
    return 0;
  })
}

// ---- F: layers and optimizers (issue 17) ----
// SGD, Adagrad, RMSprop and Lion, one parameter per call, each with the ATen operations of its
// torch.optim single-tensor loop (torch 1.13, foreach=False) in their order, so the bits agree.
// As dt_adam: results are fresh tensors unless `in_place`, when the donated parameter and state are
// updated where they lie. A state tensor passed as null is one torch has not made yet.
namespace {
// The tensor a step writes its result into: the donated one itself, or a copy.
at::Tensor own(T* x, int32_t in_place) { return in_place ? x->detach() : x->detach().clone(); }

void check_alike(const T* p, std::initializer_list<const T*> others) {
  for (const T* t : others) {
    if (t != nullptr) {
      TORCH_CHECK(t->sizes() == p->sizes(), "parameter ", p->sizes(), " and its gradient/state ", t->sizes(),
                  " must have one shape");
    }
  }
}
}  // namespace

// torch.optim.SGD: out[0] = new parameter, out[1] = new momentum buffer (only when momentum != 0;
// `buf` null on the first such step, when torch starts the buffer as a copy of the gradient).
DT_API int32_t dt_sgd(T* p, T* g, T* buf, double lr, double momentum, double dampening, double weight_decay,
                      int32_t nesterov, int32_t in_place, T** out) {
  DT_TRY(-1, {
    at::NoGradGuard no_grad;
    check_alike(p, {g, buf});
    auto param = own(p, in_place);
    auto d_p = g->detach();
    if (weight_decay != 0) d_p = d_p.add(p->detach(), weight_decay);
    if (momentum == 0) {
      param.add_(d_p, -lr);
      dt::out_all({param}, out);
      return 0;
    }
    auto b = buf == nullptr ? at::clone(d_p).detach() : own(buf, in_place).mul_(momentum).add_(d_p, 1 - dampening);
    d_p = nesterov ? d_p.add(b, momentum) : b;
    param.add_(d_p, -lr);
    dt::out_all({param, b}, out);
    return 0;
  })
}

// torch.optim.Adagrad at step `step` (1-based): out[0] = new parameter, out[1] = new sum of squares.
DT_API int32_t dt_adagrad(T* p, T* g, T* sum, double lr, double lr_decay, double weight_decay, double eps,
                          double step, int32_t in_place, T** out) {
  DT_TRY(-1, {
    at::NoGradGuard no_grad;
    check_alike(p, {g, sum});
    auto param = own(p, in_place);
    auto grad = g->detach();
    if (weight_decay != 0) grad = grad.add(p->detach(), weight_decay);
    const double clr = lr / (1 + (step - 1) * lr_decay);
    auto state_sum = own(sum, in_place).addcmul_(grad, grad, 1);
    auto std = state_sum.sqrt().add_(eps);
    param.addcdiv_(grad, std, -clr);
    dt::out_all({param, state_sum}, out);
    return 0;
  })
}

// torch.optim.RMSprop: out = [parameter, square average, grad average (centered only), momentum
// buffer (momentum > 0 only)]; a null grad average or buffer is torch's zeros of the first step.
DT_API int32_t dt_rmsprop(T* p, T* g, T* square_avg, T* grad_avg, T* buf, double lr, double alpha, double eps,
                          double weight_decay, double momentum, int32_t centered, int32_t in_place, T** out) {
  DT_TRY(-1, {
    at::NoGradGuard no_grad;
    check_alike(p, {g, square_avg, grad_avg, buf});
    auto param = own(p, in_place);
    auto grad = g->detach();
    if (weight_decay != 0) grad = grad.add(p->detach(), weight_decay);
    auto sq = own(square_avg, in_place).mul_(alpha).addcmul_(grad, grad, 1 - alpha);
    std::vector<at::Tensor> results{param, sq};
    at::Tensor avg;
    if (centered) {
      auto ga = grad_avg == nullptr ? at::zeros_like(*p) : own(grad_avg, in_place);
      ga.mul_(alpha).add_(grad, 1 - alpha);
      avg = sq.addcmul(ga, ga, -1).sqrt_();
      results.push_back(ga);
    } else {
      avg = sq.sqrt();
    }
    avg.add_(eps);
    if (momentum > 0) {
      auto b = buf == nullptr ? at::zeros_like(*p) : own(buf, in_place);
      b.mul_(momentum).addcdiv_(grad, avg);
      param.add_(b, -lr);
      results.push_back(b);
    } else {
      param.addcdiv_(grad, avg, -lr);
    }
    dt::out_all(std::move(results), out);
    return 0;
  })
}

// Lion (Chen et al. 2023) as lion-pytorch writes it: decoupled decay, the sign of the interpolated
// moment as the update, then the moment's own decay. out[0] = new parameter, out[1] = new moment.
DT_API int32_t dt_lion(T* p, T* g, T* m, double lr, double beta1, double beta2, double weight_decay,
                       int32_t in_place, T** out) {
  DT_TRY(-1, {
    at::NoGradGuard no_grad;
    check_alike(p, {g, m});
    auto param = own(p, in_place);
    auto grad = g->detach();
    param.mul_(1 - lr * weight_decay);
    auto update = m->detach().clone().mul_(beta1).add(grad, 1 - beta1).sign_();
    param.add_(update, -lr);
    auto exp_avg = own(m, in_place).mul_(beta2).add_(grad, 1 - beta2);
    dt::out_all({param, exp_avg}, out);
    return 0;
  })
}
// ---- F: end ----
