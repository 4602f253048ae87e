// The unbiased (or biased) standard deviation of each row of x. ATen 1.13 reduces each row on the CPU
// with one Welford recurrence in double, element after element, one row at a time: a division on the
// critical path of every element, so a row of 512 floats takes microseconds and a layer norm's std
// costs far more than its mean. The recurrence is sequential along a row but the rows are
// independent, so here the same operations, in the same order and the same precision, run for 16
// rows side by side in vector lanes (AVX2 where the CPU has it, chosen at run time). Each lane does
// exactly what ATen does for its row (compiled without fused multiply-adds, as ATen's portable loop
// is), so the results are ATen's bit for bit; tests/std_test.ts holds it to that.
#include "welford_std.h"

#include "cpu_dispatch.h"
#include "shim.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <cmath>

namespace dt {
namespace {

constexpr int64_t kLanes = 16;
// Rows of at least this many elements ATen splits across threads and combines partial results, which
// rounds differently; those keep at::std (ATen's internal GRAIN_SIZE).
constexpr int64_t kSequentialLimit = 32768;

// Welford over `n` elements of `rows` rows starting at `x` (rows `n` apart), as ATen's WelfordOps:
// delta = v - mean; mean += delta / count; m2 += delta · (v - mean); then sqrt(m2 / (count - correction)).
template <int64_t Rows>
__attribute__((always_inline)) inline void welford_block(const float* x, int64_t n, double correction, float* out) {
  double mean[Rows], m2[Rows];
  for (int64_t l = 0; l < Rows; ++l) mean[l] = m2[l] = 0;
  for (int64_t j = 0; j < n; ++j) {
    const double count = static_cast<double>(j + 1);
    for (int64_t l = 0; l < Rows; ++l) {
      const double v = x[l * n + j];
      const double delta = v - mean[l];
      mean[l] = mean[l] + delta / count;
      m2[l] = m2[l] + delta * (v - mean[l]);
    }
  }
  const double count = static_cast<double>(n);
  const double divisor = count > correction ? count - correction : 0;
  for (int64_t l = 0; l < Rows; ++l) out[l] = static_cast<float>(std::sqrt(m2[l] / divisor));
}

__attribute__((always_inline)) inline void std_rows_body(const float* x, int64_t n, double correction, float* out,
                                                         int64_t begin, int64_t end) {
  int64_t row = begin;
  for (; row + kLanes <= end; row += kLanes) welford_block<kLanes>(x + row * n, n, correction, out + row);
  for (; row < end; ++row) welford_block<1>(x + row * n, n, correction, out + row);
}

// Without fma: the lanes must round as ATen's loop does.
DT_AVX2_DISPATCH(void, std_rows, (const float* x, int64_t n, double correction, float* out, int64_t begin, int64_t end),
                 std_rows_body, (x, n, correction, out, begin, end), "avx2")

at::Tensor kernel_std(const at::Tensor& x, bool unbiased);

// Whether this libtorch's std is the recurrence above: the kernel is checked against at::std once, on
// rows of several lengths and scales, and stands aside for good if any result differs in any bit (a
// libtorch whose std sums otherwise).
bool agrees_with_aten() {
  static const bool agrees = [] {
    try {
      at::NoGradGuard no_grad;
      const auto generator = at::make_generator<at::CPUGeneratorImpl>(20261203);
      for (const int64_t n : {2, 7, 64, 256, 513, 1024}) {
        const auto x = at::randn({37, n}, generator) * 3.0 + 1e3;
        for (const bool unbiased : {true, false}) {
          if (!at::equal(kernel_std(x, unbiased), at::std(x, {-1}, unbiased, true))) return false;
        }
      }
      return true;
    } catch (...) {
      return false;
    }
  }();
  return agrees;
}

at::Tensor kernel_std(const at::Tensor& x, bool unbiased) {
  const int64_t n = x.size(-1), rows = x.numel() / n;
  auto sizes = x.sizes().vec();
  sizes.back() = 1;
  at::Tensor out = at::empty(sizes, x.options());
  const float* data = x.data_ptr<float>();
  float* result = out.data_ptr<float>();
  const double correction = unbiased ? 1 : 0;
  // Blocks of rows, each a few thousand elements' work at least, so that waking threads pays.
  const int64_t grain = kLanes * std::max<int64_t>(1, 4096 / (kLanes * n));
  at::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) { std_rows(data, n, correction, result, begin, end); });
  return out;
}

}  // namespace

at::Tensor std_last_dim(const at::Tensor& x, bool unbiased) {
  const bool grad = at::GradMode::is_enabled() && x.requires_grad();
  if (grad || x.scalar_type() != at::kFloat || !x.device().is_cpu() || x.dim() < 1 || !x.is_contiguous() ||
      x.size(-1) < 1 || x.size(-1) >= kSequentialLimit) {
    return at::std(x, {-1}, unbiased, /*keepdim=*/true);
  }
  return agrees_with_aten() ? kernel_std(x, unbiased) : at::std(x, {-1}, unbiased, /*keepdim=*/true);
}

}  // namespace dt
