// The largest entry of each row's log-softmax and where it is: greedy decoding's one candidate per
// sentence and its log-probability. Through ATen that is argmax, gather and logsumexp, five passes
// over [rows, vocabulary] logits with a temporary as large; here it is two passes per row, the first
// finding the maximum and its first index, the second summing e^(x - max) in a vectorized loop.
#include "cpu_dispatch.h"
#include "shim.h"
#include "vec_exp.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <cmath>
#include <limits>

using dt::T;

namespace {

constexpr int kLanes = 8;

struct RowResult {
  float log_prob;
  int64_t index;
  bool finite;  // false: the row holds NaN or ±inf, and the composition decides it
};

// One row of `n` logits: its maximum's first index, and -log Σ e^(x - max), which is the log-softmax
// at the maximum (there x - max is 0 exactly).
__attribute__((always_inline)) inline RowResult max_log_softmax_row(const float* __restrict x, int64_t n) {
  // Per lane: the first maximum and its index, and x · 0 summed, which stays 0 unless an entry is
  // NaN or infinite (NaN · 0 and ±inf · 0 are NaN).
  float top[kLanes], poison[kLanes];
  int32_t at[kLanes];
  for (int l = 0; l < kLanes; ++l) top[l] = -std::numeric_limits<float>::infinity(), at[l] = 0, poison[l] = 0;
  int64_t j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const float v = x[j + l];
      const bool above = v > top[l];  // strictly: each lane keeps its first maximum
      top[l] = above ? v : top[l];
      at[l] = above ? static_cast<int32_t>(j + l) : at[l];
      poison[l] += v * 0.0f;
    }
  }
  float best = -std::numeric_limits<float>::infinity(), bad = 0;
  int64_t index = 0;
  for (int l = 0; l < kLanes; ++l) {
    bad += poison[l];
    if (top[l] > best || (top[l] == best && at[l] < index)) best = top[l], index = at[l];
  }
  for (; j < n; ++j) {
    bad += x[j] * 0.0f;
    if (x[j] > best) best = x[j], index = j;
  }
  if (std::isnan(bad) || !std::isfinite(best)) return {0, 0, false};
  float sums[kLanes] = {0, 0, 0, 0, 0, 0, 0, 0};
  j = 0;
  for (; j + kLanes <= n; j += kLanes) {
    for (int l = 0; l < kLanes; ++l) sums[l] += dt::exp_nonpositive(x[j + l] - best);
  }
  float sum = 0;
  for (; j < n; ++j) sum += dt::exp_nonpositive(x[j] - best);
  for (int l = 0; l < kLanes; ++l) sum += sums[l];
  // An entry of +inf was ruled out above, so no e^(x - max) exceeds 1 and the sum is finite.
  return {-std::log(sum), index, true};
}

__attribute__((always_inline)) inline bool rows_body(const float* x, int64_t n, float* values, int64_t* indices,
                                                     int64_t begin, int64_t end) {
  bool finite = true;
  for (int64_t row = begin; row < end; ++row) {
    const auto r = max_log_softmax_row(x + row * n, n);
    values[row] = r.log_prob;
    indices[row] = r.index;
    finite = finite && r.finite;
  }
  return finite;
}

DT_AVX2_DISPATCH(bool, rows, (const float* x, int64_t n, float* values, int64_t* indices, int64_t begin, int64_t end),
                 rows_body, (x, n, values, indices, begin, end), "avx2,fma")

// What the kernel stands for: argmax, and the log-softmax there as gather(x) - logsumexp(x).
std::vector<at::Tensor> composed(const at::Tensor& x) {
  const auto indices = at::argmax(x, 1, /*keepdim=*/true);
  return {at::sub(at::gather(x, 1, indices), at::logsumexp(x, {1}, /*keepdim=*/true)), indices};
}

}  // namespace

// out[0]: [rows, 1] the largest log-softmax entry of each row of x [rows, classes]; out[1]: [rows, 1]
// i64, its first index (argmax's). f32 rows on the CPU that need no gradient take the kernel; rows
// with NaN or an infinity, and everything else, the composition, whose NaNs and infinities they get.
DT_API int32_t dt_max_log_softmax(T* x, T** out) {
  DT_TRY(-1, {
    TORCH_CHECK(x->dim() == 2 && x->size(1) > 0, "x must be [rows, classes] with classes > 0, got shape ", x->sizes());
    const bool grad = at::GradMode::is_enabled() && x->requires_grad();
    const bool fits = !grad && x->scalar_type() == at::kFloat && x->device().is_cpu() && x->is_contiguous() &&
                      x->size(1) < std::numeric_limits<int32_t>::max();
    if (!fits) {
      dt::out_all(composed(*x), out);
      return 0;
    }
    const int64_t rows_count = x->size(0), n = x->size(1);
    auto values = at::empty({rows_count, 1}, x->options());
    auto indices = at::empty({rows_count, 1}, x->options().dtype(at::kLong));
    std::atomic<bool> finite{true};
    const float* data = x->data_ptr<float>();
    float* v = values.data_ptr<float>();
    int64_t* i = indices.data_ptr<int64_t>();
    const int64_t grain = std::max<int64_t>(1, 16384 / n);
    at::parallel_for(0, rows_count, grain, [&](int64_t begin, int64_t end) {
      if (!rows(data, n, v, i, begin, end)) finite = false;
    });
    dt::out_all(finite ? std::vector<at::Tensor>{values, indices} : composed(*x), out);
    return 0;
  })
}
