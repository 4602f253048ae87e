// Neural-network ops and autograd.
#include "one_query_attention.h"
#include "shim.h"

#include <torch/csrc/autograd/autograd.h>

#include <cmath>

using dt::T;

DT_API dt::T* dt_embedding(T* weight, T* ids) {
  DT_TRY(nullptr, {
    TORCH_CHECK(ids->scalar_type() == at::kLong || ids->scalar_type() == at::kInt,
                "embedding: ids must be i64 or i32, got ", c10::toString(ids->scalar_type()));
    dt::check_index_range(*ids, weight->size(0), true);
    return dt::out(at::embedding(*weight, *ids));
  })
}

DT_OP(layer_norm, (T* x, int32_t normalized_rank, T* weight, T* bias, double eps),
      at::layer_norm(*x, dt::trailing_sizes(*x, normalized_rank, "layer_norm"),
                     weight ? c10::optional<at::Tensor>(*weight) : c10::nullopt,
                     bias ? c10::optional<at::Tensor>(*bias) : c10::nullopt, eps))

// reduction: 0 none, 1 mean, 2 sum (ATen's at::Reduction order).
DT_API dt::T* dt_cross_entropy(T* logits, T* target, int32_t reduction, int32_t ignore_index, double label_smoothing) {
  DT_TRY(nullptr, {
    if (target->is_cuda() && target->numel() > 0) {
      const auto classes = logits->size(logits->dim() == 1 ? 0 : 1);
      const auto valid = target->ne(ignore_index);
      const auto bad = at::logical_and(valid, at::logical_or(target->lt(0), target->ge(classes)));
      TORCH_CHECK(!bad.any().item<bool>(), "cross_entropy: a target is outside [0, ", classes, ")");
    }
    return dt::out(at::cross_entropy_loss(*logits, *target, c10::nullopt, reduction, ignore_index, label_smoothing));
  })
}

namespace {
// softmax(q kᵀ / √d, with the scores where `mask` is false replaced by dt::masked_score) v: the
// unfused path's composition (lib/ops/nn.ts attentionProbs), in the same order.
at::Tensor masked_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask) {
  auto scores = at::matmul(q, k.transpose(-2, -1)) / std::sqrt(static_cast<double>(q.size(-1)));
  return at::matmul(at::softmax(scores.masked_fill(mask.logical_not(), dt::masked_score(q.scalar_type())), -1), v);
}
}  // namespace

// Fused scaled-dot-product attention without dropout. `mask` (nullable) is additive, or boolean with
// true = attend; a boolean mask becomes -1e9 where false, as the reference's masked_fill(mask == 0, -1e9)
// does, so a fully masked row averages the values instead of turning into NaN. That needs the masked
// scores to come out equal (-1e9 absorbs any score of f32 size). In f16 the fill is only -65504
// (dt::masked_score), which added to a score either overflows to -inf (a fully masked row: NaN) or,
// in kernels that add in f32, keeps the scores apart (a fully masked row: softmax of its scores), so
// f16 with a boolean mask takes the unfused composition, which replaces the scores as the reference does.
// One query per head (a cached decoding step) in f32 on the CPU takes dt::one_query_attention.
DT_API dt::T* dt_sdpa(T* q, T* k, T* v, T* mask, int32_t is_causal) {
  DT_TRY(nullptr, {
    if (dt::one_query_attention_fits(*q, *k, *v, mask, is_causal != 0)) {
      return dt::out(dt::one_query_attention(*q, *k, *v, mask));
    }
    c10::optional<at::Tensor> m = c10::nullopt;
    if (mask) {
      if (mask->scalar_type() == at::kBool && q->scalar_type() == at::kHalf && !is_causal) {
        return dt::out(masked_attention(*q, *k, *v, *mask));
      }
      const double fill = dt::masked_score(q->scalar_type());
      m = mask->scalar_type() == at::kBool ? at::zeros(mask->sizes(), q->options()).masked_fill_(mask->logical_not(), fill)
                                           : *mask;
    }
#if DT_TORCH_AT_LEAST(2, 0)
    return dt::out(at::scaled_dot_product_attention(*q, *k, *v, m, 0.0, is_causal != 0));
#else
    return dt::out(std::get<0>(at::_scaled_dot_product_attention(*q, *k, *v, m, 0.0, false, is_causal != 0)));
#endif
  })
}
DT_API int32_t dt_has_fused_attention() { return 1; }

// ---- autograd ----
// A fresh leaf sharing `x`'s storage that records gradients; `x` itself is untouched.
DT_OP(leaf, (T* x), x->detach().requires_grad_(true))

// Gradients of the scalar `loss` with respect to `inputs`, written to out[i]; inputs that do not
// influence the loss get zeros. The graph is released afterwards.
DT_API int32_t dt_grad(T* loss, T** inputs, int32_t n, T** out) {
  DT_TRY(-1, {
    TORCH_CHECK(loss->numel() == 1, "gradients need a scalar loss, got shape ", loss->sizes());
    TORCH_CHECK(loss->requires_grad(), "the loss does not depend on any parameter that records gradients");
    auto xs = dt::list(inputs, n);
    auto grads = torch::autograd::grad({*loss}, xs, {}, false, false, true);
    for (int32_t i = 0; i < n; i++) {
      if (!grads[i].defined()) grads[i] = at::zeros_like(xs[i]);
    }
    dt::out_all(std::move(grads), out);
    return 0;
  })
}

// ---- E: transforms (issue 17) ----
// A differentiable identity of `x` for a nested transform: a new node of the graph that `x` belongs
// to, so that gradients taken for it count only the paths through it (not every use of `x`), while
// an outer transform still sees the dependence on `x`. A tensor that records no gradients gets a
// fresh leaf, as dt_leaf makes.
DT_OP(nested_leaf, (T* x), x->requires_grad() ? x->view_as(*x) : x->detach().requires_grad_(true))

// A second handle to the same tensor (same storage, same place in the graph), for a handle whose
// lifetime must not follow its scope's (checkpoint's saved inputs and outputs).
DT_OP(same_tensor, (T* x), *x)

namespace {
enum VjpFlags : int32_t { kCreateGraph = 1, kRetainGraph = 2, kNullForUnused = 4 };

// Publishes grads into out[]: defined ones as handles; undefined ones as zeros or, with
// kNullForUnused, as null. All or none, as dt::out_all.
void publish_grads(std::vector<at::Tensor>& grads, const std::vector<at::Tensor>& like, int32_t flags, T** out) {
  for (size_t i = 0; i < grads.size(); i++) {
    if (!grads[i].defined() && !(flags & kNullForUnused)) grads[i] = at::zeros_like(like[i]);
  }
  size_t made = 0;
  try {
    for (; made < grads.size(); made++) out[made] = grads[made].defined() ? dt::out(grads[made]) : nullptr;
  } catch (...) {
    for (size_t i = 0; i < made; i++) {
      if (out[i]) dt::release(out[i]);
      out[i] = nullptr;
    }
    throw;
  }
}
}  // namespace

// Vector-Jacobian product: the gradients of Σᵢ <outputs[i], cotangents[i]> for `inputs` (a null
// cotangent list, or a null entry, means ones). Outputs that record no gradients contribute nothing,
// so a function constant in its inputs gets zero gradients instead of an error (a second derivative
// of a linear function is 0). Flags: kCreateGraph makes the gradients differentiable (a transform
// nested in another); kRetainGraph keeps the graph for another call; kNullForUnused writes null for
// inputs the outputs do not reach instead of zeros (checkpoint sums contributions and skips those).
DT_API int32_t dt_vjp(T** outputs, T** cotangents, int32_t n_out, T** inputs, int32_t n_in, int32_t flags, T** out) {
  DT_TRY(-1, {
    std::vector<at::Tensor> outs, cots;
    for (int32_t i = 0; i < n_out; i++) {
      if (!outputs[i]->requires_grad()) continue;
      outs.push_back(*outputs[i]);
      cots.push_back(cotangents && cotangents[i] ? *cotangents[i] : at::ones_like(*outputs[i]));
    }
    auto xs = dt::list(inputs, n_in);
    std::vector<at::Tensor> grads(n_in);
    if (!outs.empty()) {
      grads = torch::autograd::grad(outs, xs, cots, (flags & (kRetainGraph | kCreateGraph)) != 0,
                                    (flags & kCreateGraph) != 0, /*allow_unused=*/true);
    }
    publish_grads(grads, xs, flags, out);
    return 0;
  })
}

// Jacobian-vector product by the double-vjp identity: with dummy cotangents u, g(u) = Jᵀu is linear
// in u, so the gradient of <g(u), t> for u is J t. Two backward passes, where libtorch 1.13's forward
// AD would need a dual level and formulas that not every op has; this needs only what grad-of-grad
// needs. out[i] is the tangent of outputs[i] (zeros where the outputs do not depend on the inputs).
DT_API int32_t dt_jvp(T** outputs, int32_t n_out, T** inputs, T** tangents, int32_t n_in, int32_t create_graph,
                      T** out) {
  DT_TRY(-1, {
    std::vector<at::Tensor> outs, us;
    std::vector<int32_t> which;  // outs[j] is outputs[which[j]]
    for (int32_t i = 0; i < n_out; i++) {
      if (!outputs[i]->requires_grad()) continue;
      outs.push_back(*outputs[i]);
      us.push_back(at::zeros_like(*outputs[i]).requires_grad_(true));
      which.push_back(i);
    }
    auto xs = dt::list(inputs, n_in);
    auto ts = dt::list(tangents, n_in);
    std::vector<at::Tensor> result(n_out);
    if (!outs.empty()) {
      auto g = torch::autograd::grad(outs, xs, us, /*retain_graph=*/true, /*create_graph=*/true, /*allow_unused=*/true);
      std::vector<at::Tensor> gs, gts;
      for (int32_t i = 0; i < n_in; i++) {
        if (g[i].defined() && g[i].requires_grad()) {
          gs.push_back(g[i]);
          gts.push_back(ts[i]);
        }
      }
      if (!gs.empty()) {
        auto jt = torch::autograd::grad(gs, us, gts, create_graph != 0, create_graph != 0, /*allow_unused=*/true);
        for (size_t j = 0; j < which.size(); j++) result[which[j]] = jt[j];
      }
    }
    auto like = dt::list(outputs, n_out);
    publish_grads(result, like, 0, out);
    return 0;
  })
}
// ---- E: end ----
