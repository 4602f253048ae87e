// Internal helpers shared by the shim's translation units. The ABI conventions are in README.md;
// every exported symbol is `extern "C"` and starts with `dt_`.
#pragma once

#include <ATen/ATen.h>
#include <torch/version.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#if defined(TORCH_VERSION_MAJOR)
#define DT_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))
#else
#define DT_TORCH_AT_LEAST(major, minor) 0
#endif

#define DT_API extern "C" __attribute__((visibility("default")))

namespace dt {

using T = at::Tensor;

// The error slot: the last error message of this thread, read by ffi/ after a failed call.
void set_error(const std::string& message);

// Wraps a result in a heap handle, counts it as live and describes it in the metadata buffer.
T* out(at::Tensor t);
// Frees a handle made by `out` and uncounts it (what dt_free does).
void release(T* t);
// Publishes the results of an op with several outputs: slots[i] = out(results[i]). Either all are
// made or none: when one cannot be, the handles already made are freed again and the error goes on,
// so a failed call leaves no handle behind for JS to lose.
void out_all(std::vector<at::Tensor> results, T** slots);
// Fills the metadata buffer (dtype, device, rank, sizes) for `t`.
void describe(const at::Tensor& t);

// x · wᵀ + b, as at::linear, except that a weight packed by dt_pack_linear runs on its packed copy
// (quantized.cpp) when nothing needs its gradient.
at::Tensor linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor* b);

// Small integer enums shared with lib/dtype.ts and lib/device.ts.
at::ScalarType scalar_type(int code);
int dtype_code(at::ScalarType type);
at::Device device(int type, int index);

// The last `rank` sizes of `x`, checked: a 0-dim tensor has no last dimension to normalize over, and
// an IntArrayRef built past its front would read before the sizes array.
inline at::IntArrayRef trailing_sizes(const at::Tensor& x, int64_t rank, const char* op) {
  TORCH_CHECK(rank >= 1 && rank <= x.dim(), op, ": x needs at least ", rank, " dimension(s), got shape ", x.sizes());
  return at::IntArrayRef(x.sizes().end() - rank, x.sizes().end());
}

// The fill for masked-out attention scores: -1e9 as the reference's masked_fill(mask == 0, -1e9), in
// f32/f64 exactly (parity stays bit-identical) and in bf16 rounded (its range reaches ±3.4e38). f16
// tops out at ±65504, where -1e9 overflows, so there it is f16's lowest finite value: softmax gives
// the masked scores the same zero weight, and a fully masked row still averages the values.
inline double masked_score(at::ScalarType type) {
  return type == at::kHalf ? static_cast<double>(std::numeric_limits<c10::Half>::lowest()) : -1e9;
}

inline std::vector<int64_t> dims(const double* sizes, int n) {
  std::vector<int64_t> v(n);
  for (int i = 0; i < n; i++) v[i] = static_cast<int64_t>(sizes[i]);
  return v;
}

// A JS number as an ATen scalar: whole numbers meet integer tensors as int64, so that `i64 + 1`
// stays i64 (a double scalar would promote the result to float and round large values).
inline at::Scalar scalar(const at::Tensor& t, double s) {
  if (at::isIntegralType(t.scalar_type(), /*includeBool=*/false) && s > -9.2e18 && s < 9.2e18 &&
      s == static_cast<double>(static_cast<int64_t>(s))) {
    return at::Scalar(static_cast<int64_t>(s));
  }
  return at::Scalar(s);
}

inline std::vector<at::Tensor> list(T** items, int n) {
  std::vector<at::Tensor> v;
  v.reserve(n);
  for (int i = 0; i < n; i++) v.push_back(*items[i]);
  return v;
}

// Indices outside [0, n) raise here, before a CUDA kernel would hit a device-side assert that poisons
// the whole CUDA context. CPU kernels check on their own, so CPU tensors skip the extra reduction
// unless `always` asks for the clearer message (cheap where the index is small, as for embeddings).
void check_index_range(const at::Tensor& index, int64_t n, bool always = false);

// Times the enclosing exported call when profiling is on (profile.cpp); a no-op branch otherwise.
extern std::atomic<bool> g_profiling;
class ProfileScope {
 public:
  explicit ProfileScope(const char* name);
  ~ProfileScope();
  ProfileScope(const ProfileScope&) = delete;
  ProfileScope& operator=(const ProfileScope&) = delete;

 private:
  const char* name_;
  int64_t start_ = 0;
};

// A generator seeded from the explicit key that JS passes (two uint32 halves of a 64-bit seed).
at::Generator generator(at::Device device, uint32_t seed_hi, uint32_t seed_lo);

}  // namespace dt

// Every exported body goes through DT_TRY: exceptions become the error slot and a failure value,
// so nothing thrown in C++ ever unwinds into Deno.
#define DT_TRY(fail, ...)                                      \
  try {                                                        \
    dt::ProfileScope dt_profile_scope_(__func__);              \
    __VA_ARGS__                                                \
  } catch (const c10::Error& e) {                              \
    dt::set_error(e.what_without_backtrace());                 \
    return fail;                                               \
  } catch (const std::exception& e) {                          \
    dt::set_error(e.what());                                   \
    return fail;                                               \
  } catch (...) {                                              \
    dt::set_error("unknown C++ exception");                    \
    return fail;                                               \
  }

// One exported op returning a new tensor: `DT_OP(name, (params), expression)`.
#define DT_OP(name, params, expr) \
  DT_API dt::T* dt_##name params { DT_TRY(nullptr, return dt::out(expr);) }
