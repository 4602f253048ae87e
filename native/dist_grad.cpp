// Gradients summed across the ranks while backward runs, as DistributedDataParallel does it: hooks on
// the parameter leaves copy each gradient into its bucket as soon as backward produces it, and a full
// bucket's all-reduce starts at once, so that communication overlaps the rest of backward.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include "dist.h"

#if defined(DT_HAVE_DIST)
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

using dt::T;

namespace {

// The leaves in the order backward will produce their gradients, read off the graph before it runs:
// a leaf's gradient is complete once the last of the nodes that consume it has run, and the engine
// runs nodes newest first (by sequence number), so leaves go by their oldest consumer, newest first.
// Ties and leaves that nothing consumes (no gradient: zeros) go by index. The order depends only on
// the graph's shape: the same at every step and on every rank, so buckets (and their sums) are too.
std::vector<int> backward_order(const at::Tensor& loss, T** xs, int32_t n) {
  std::unordered_map<const torch::autograd::Node*, int> leaf_of;
  for (int32_t i = 0; i < n; i++) {
    if (auto acc = torch::autograd::impl::try_get_grad_accumulator(*xs[i])) leaf_of[acc.get()] = i;
  }
  std::vector<uint64_t> oldest(n, UINT64_MAX);
  const auto* root = loss.grad_fn().get();
  if (!root) {
    // The loss is itself a leaf (f returned a parameter): no node consumes anything, and the one
    // gradient backward produces is the loss's own, at once.
    for (int32_t i = 0; i < n; i++) {
      if (xs[i]->is_same(loss)) oldest[i] = 0;
    }
  }
  std::vector<const torch::autograd::Node*> stack;
  if (root) stack.push_back(root);
  std::unordered_set<const torch::autograd::Node*> seen{root};
  while (!stack.empty()) {
    const auto* node = stack.back();
    stack.pop_back();
    for (const auto& edge : node->next_edges()) {
      const auto* next = edge.function.get();
      if (!next) continue;
      if (auto leaf = leaf_of.find(next); leaf != leaf_of.end()) {
        oldest[leaf->second] = std::min<uint64_t>(oldest[leaf->second], node->sequence_nr());
      } else if (seen.insert(next).second) {
        stack.push_back(next);
      }
    }
  }
  std::vector<int> order(n);
  for (int32_t i = 0; i < n; i++) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const bool used_a = oldest[a] != UINT64_MAX, used_b = oldest[b] != UINT64_MAX;
    if (used_a != used_b) return used_a;  // the unused last
    return used_a && oldest[a] > oldest[b];
  });
  return order;
}

// Buckets over `order`: the first about 1 MB (so that the first all-reduce starts early, as in
// DistributedDataParallel), the others about `cap` bytes.
std::vector<std::vector<int>> buckets_over(const std::vector<int>& order, T** xs, int64_t cap) {
  std::vector<std::vector<int>> buckets(1);
  int64_t bytes = 0, limit = std::min<int64_t>(cap, 1 << 20);
  for (int i : order) {
    if (bytes >= limit) {
      buckets.emplace_back();
      bytes = 0;
      limit = cap;
    }
    buckets.back().push_back(i);
    bytes += xs[i]->numel() * static_cast<int64_t>(xs[i]->element_size());
  }
  return buckets;
}

}  // namespace

// Gradients of the scalar `loss` for the n leaves `xs`, summed across the ranks, with the summing
// overlapped with backward, as DistributedDataParallel does: the leaves are grouped into buckets of
// about bucket_mb MB in the order backward produces their gradients (backward_order); as soon as a
// bucket is full its all-reduce starts (in bucket order, the same on every rank) while backward goes
// on. Every rank's loss must use the leaves alike (the same graph), as DDP also requires. A leaf that
// gets no gradient counts as zeros. out[i] = the summed gradient of xs[i], a view into its bucket.
DT_API int32_t dt_dist_grad_allreduce(T* loss, T** xs, int32_t n, double bucket_mb, T** out) {
  DT_TRY(-1, {
    auto& pg = dt::dist_group("gradAllReduce");
    TORCH_CHECK(loss->numel() == 1, "gradients need a scalar loss, got shape ", loss->sizes());
    TORCH_CHECK(loss->requires_grad(), "the loss does not depend on any parameter that records gradients");
    TORCH_CHECK(n > 0, "gradAllReduce: no parameters");
    TORCH_CHECK(bucket_mb > 0, "gradAllReduce: the bucket size must be positive, got ", bucket_mb, " MB");
    std::vector<int64_t> sizes(n);
    for (int32_t i = 0; i < n; i++) {
      TORCH_CHECK(xs[i]->is_leaf() && xs[i]->requires_grad(), "gradAllReduce: input ", i,
                  " is not a leaf that records gradients");
      TORCH_CHECK(xs[i]->scalar_type() == xs[0]->scalar_type() && xs[i]->device() == xs[0]->device(),
                  "gradAllReduce: parameters of one dtype and device, got ", xs[0]->scalar_type(), " on ",
                  xs[0]->device(), " and ", xs[i]->scalar_type(), " on ", xs[i]->device());
      TORCH_CHECK(!dt::dist_is_nccl() || xs[i]->device() == dt::dist_device(),
                  "gradAllReduce: this rank's NCCL group works on ", dt::dist_device(), " tensors, got one on ",
                  xs[i]->device());
      sizes[i] = xs[i]->numel();
    }
    const auto order = backward_order(*loss, xs, n);
    const auto buckets = buckets_over(order, xs, static_cast<int64_t>(bucket_mb * (1 << 20)));
    std::vector<int> bucket_of_leaf(n);
    for (size_t b = 0; b < buckets.size(); b++) {
      for (int i : buckets[b]) bucket_of_leaf[i] = static_cast<int>(b);
    }

    // Each bucket is one flat buffer; a leaf's slice is at offset[i]. The hooks copy each gradient
    // there as backward produces it (and keep no reference, so that autograd need not copy it too).
    std::vector<int64_t> offset(n);
    std::vector<at::Tensor> flats;
    for (const auto& bucket : buckets) {
      int64_t total = 0;
      for (int i : bucket) {
        offset[i] = total;
        total += sizes[i];
      }
      flats.push_back(at::empty({total}, xs[0]->options()));
    }
    std::mutex mutex;  // the hooks run on the thread that runs backward for the leaves' device
    std::vector<char> done(n, 0);
    std::vector<int> missing(buckets.size());
    for (size_t b = 0; b < buckets.size(); b++) missing[b] = static_cast<int>(buckets[b].size());
    std::vector<c10::intrusive_ptr<c10d::Work>> works(buckets.size());
    size_t next = 0;  // the next bucket to launch: launches go in bucket order on every rank
    auto slice = [&](int i) { return flats[bucket_of_leaf[i]].narrow(0, offset[i], sizes[i]); };
    auto launch_ready = [&] {
      while (next < buckets.size() && missing[next] == 0) {
        std::vector<at::Tensor> one{flats[next]};
        works[next] = pg.allreduce(one);
        next++;
      }
    };
    std::vector<unsigned> hooks(n);
    for (int32_t i = 0; i < n; i++) {
      hooks[i] = xs[i]->register_hook([&, i](const at::Tensor& g) {
        std::lock_guard<std::mutex> lock(mutex);
        if (done[i]) return;  // (a leaf's hook runs once per backward)
        at::NoGradGuard no_grad;
        slice(i).view(g.sizes()).copy_(g);
        done[i] = 1;
        missing[bucket_of_leaf[i]]--;
        launch_ready();
      });
    }
    auto unhook = [&] {
      for (int32_t i = 0; i < n; i++) {
        xs[i]->remove_hook(hooks[i]);
        xs[i]->mutable_grad().reset();  // backward also left the gradient there
      }
    };
    try {
      torch::autograd::backward({*loss}, {}, /*retain_graph=*/false, /*create_graph=*/false, dt::list(xs, n));
    } catch (...) {
      unhook();
      throw;
    }
    unhook();
    for (int32_t i = 0; i < n; i++) {
      if (!done[i]) {
        slice(i).zero_();
        missing[bucket_of_leaf[i]]--;
      }
    }
    launch_ready();
    // Every bucket is waited for before any handle is made, so a failed wait leaves none behind. The
    // summed gradients are views into the buckets: no copy back.
    for (auto& work : works) work->wait();
    std::vector<at::Tensor> summed(n);
    for (int32_t i = 0; i < n; i++) summed[i] = slice(i).view(xs[i]->sizes());
    dt::out_all(std::move(summed), out);
    return 0;
  })
}

#else  // neither Gloo's headers nor NCCL

DT_API int32_t dt_dist_grad_allreduce(dt::T*, dt::T**, int32_t, double, dt::T**) {
  DT_TRY(-1, TORCH_CHECK(false, dt::kNoGloo); return 0;)
}

#endif
