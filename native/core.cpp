// Handles, errors, metadata, creation, data transfer, devices, threads, random generators.
#include "shim.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/Generator.h>
#include <ATen/core/grad_mode.h>  // at::GradMode: ATen.h stopped including it in 2.x

#include <atomic>
#include <cmath>
#include <cstring>

namespace {
thread_local std::string g_error;
// [dtype, device type, device index, rank, requires_grad, size_0, size_1, ...]
constexpr int kMetaHeader = 5;
constexpr int kMaxRank = 64;
thread_local double g_meta[kMetaHeader + kMaxRank];
// Fault injection for the error-path tests: when positive, the describe that brings it to 0 fails
// (dt_fail_describe_after). 0, the default, never fails: the cost is one branch per describe.
thread_local int32_t g_describe_countdown = 0;
std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_live_bytes{0};

int64_t nbytes(const at::Tensor& t) { return t.defined() ? t.numel() * static_cast<int64_t>(t.element_size()) : 0; }
}  // namespace

namespace dt {

void set_error(const std::string& message) { g_error = message; }

void describe(const at::Tensor& t) {
  TORCH_CHECK(g_describe_countdown <= 0 || --g_describe_countdown > 0,
              "injected failure (dt_fail_describe_after, for tests)");
  const int64_t rank = t.dim();
  TORCH_CHECK(rank <= kMaxRank, "tensors of rank above ", kMaxRank, " are not supported");
  g_meta[0] = dtype_code(t.scalar_type());
  g_meta[1] = t.device().is_cuda() ? 1 : 0;
  g_meta[2] = t.device().has_index() ? t.device().index() : 0;
  g_meta[3] = static_cast<double>(rank);
  g_meta[4] = t.requires_grad() ? 1 : 0;
  for (int64_t i = 0; i < rank; i++) g_meta[kMetaHeader + i] = static_cast<double>(t.size(i));
}

T* out(at::Tensor t) {
  TORCH_CHECK(t.defined(), "operation returned no tensor");
  describe(t);
  g_live_bytes += nbytes(t);
  g_live += 1;
  return new at::Tensor(std::move(t));
}

void release(T* t) {
  g_live_bytes -= nbytes(*t);
  g_live -= 1;
  delete t;
}

void out_all(std::vector<at::Tensor> results, T** slots) {
  size_t made = 0;
  try {
    for (; made < results.size(); made++) slots[made] = out(std::move(results[made]));
  } catch (...) {
    for (size_t i = 0; i < made; i++) {
      release(slots[i]);
      slots[i] = nullptr;
    }
    throw;
  }
}

at::ScalarType scalar_type(int code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kDouble;
    case 2: return at::kBFloat16;
    case 3: return at::kHalf;
    case 4: return at::kLong;
    case 5: return at::kInt;
    case 6: return at::kBool;
    case 7: return at::kByte;
    case 8: return at::kChar;
  }
  TORCH_CHECK(false, "unknown dtype code ", code);
}

int dtype_code(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return 0;
    case at::kDouble: return 1;
    case at::kBFloat16: return 2;
    case at::kHalf: return 3;
    case at::kLong: return 4;
    case at::kInt: return 5;
    case at::kBool: return 6;
    case at::kByte: return 7;
    case at::kChar: return 8;
    default: break;
  }
  TORCH_CHECK(false, "dtype ", c10::toString(type), " is not supported by deno-torch");
}

at::Device device(int type, int index) {
  if (type == 0) return at::Device(at::kCPU);
  TORCH_CHECK(type == 1, "unknown device type code ", type);
  TORCH_CHECK(at::hasCUDA(), "CUDA was requested but this libtorch has no CUDA support");
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
}

void check_index_range(const at::Tensor& index, int64_t n, bool always) {
  if ((!always && !index.is_cuda()) || index.numel() == 0) return;
  const auto lo = index.min().item<int64_t>();
  const auto hi = index.max().item<int64_t>();
  TORCH_CHECK(lo >= 0 && hi < n, "index out of range: got values in [", lo, ", ", hi,
              "] for a dimension of size ", n);
}

at::Generator generator(at::Device device, uint32_t seed_hi, uint32_t seed_lo) {
  const uint64_t seed = (static_cast<uint64_t>(seed_hi) << 32) | seed_lo;
  // A CPU generator of its own: what cloning the default one and reseeding it gives, without
  // libtorch 1.x's clone(), whose copy is never deleted (it leaves the weak count at 0: every random
  // call leaked ~2.6 KB, and forcing the count makes that delete corrupt the heap).
  if (device.is_cpu()) return at::make_generator<at::CPUGeneratorImpl>(seed);
  // Other devices clone theirs, which keeps this file free of CUDA headers; the clone is reseeded, so
  // no state is shared with (or leaks into) libtorch's global generator.
  auto gen = at::globalContext().defaultGenerator(device).clone();
  gen.set_current_seed(seed);
  return gen;
}

}  // namespace dt

using dt::T;

// ---- errors, metadata, lifetime ----
DT_API const char* dt_last_error() { return g_error.c_str(); }
DT_API double* dt_meta() { return g_meta; }
DT_API int32_t dt_meta_capacity() { return kMetaHeader + kMaxRank; }
DT_API int32_t dt_describe(T* t) { DT_TRY(-1, dt::describe(*t); return 0;) }
DT_API void dt_free(T* t) {
  if (t == nullptr) return;
  dt::ProfileScope timed(__func__);  // freeing returns memory: part of a step's allocation cost
  dt::release(t);
}
// For tests of the error paths: the n-th tensor description from now on this thread fails, as an op
// whose result cannot be handed out would (n = 0 turns it off).
DT_API void dt_fail_describe_after(int32_t n) { g_describe_countdown = n; }
DT_API double dt_live_tensors() { return static_cast<double>(g_live.load()); }
DT_API double dt_live_bytes() { return static_cast<double>(g_live_bytes.load()); }

// ---- runtime ----
DT_API int32_t dt_set_threads(int32_t n) { DT_TRY(-1, at::set_num_threads(n); return at::get_num_threads();) }
DT_API int32_t dt_get_threads() { return at::get_num_threads(); }
// Keeps freed memory in the process instead of returning it to the OS. A training step frees and
// re-allocates the same large buffers every step; glibc serves those with mmap/munmap by default,
// and re-touching fresh pages cost millions of page faults per minute (measured: 13 M faults in 40
// steps of cpu-small, ~20% of the step time). Returns 1 when applied, 0 where not supported.
DT_API int32_t dt_cuda_available() { DT_TRY(0, return at::hasCUDA() ? 1 : 0;) }
DT_API int32_t dt_cuda_device_count() {
  DT_TRY(0, return at::hasCUDA() ? static_cast<int32_t>(at::detail::getCUDAHooks().getNumGPUs()) : 0;)
}
DT_API double dt_torch_version() {
#if defined(TORCH_VERSION_MAJOR)
  return TORCH_VERSION_MAJOR * 10000 + TORCH_VERSION_MINOR * 100 + TORCH_VERSION_PATCH;
#else
  return 0;
#endif
}
DT_API int32_t dt_synchronize(int32_t device_type, int32_t index) {
  DT_TRY(-1, {
    if (device_type == 1 && at::hasCUDA()) {
      at::detail::getCUDAHooks().deviceSynchronize(static_cast<c10::DeviceIndex>(index));
    }
    return 0;
  })
}
DT_API int32_t dt_set_grad_enabled(int32_t enabled) {
  DT_TRY(-1, const bool was = at::GradMode::is_enabled(); at::GradMode::set_enabled(enabled != 0); return was ? 1 : 0;)
}

// ---- creation ----
// Copies `data` (laid out as `src_dtype`, contiguous) into a new tensor of `dtype` on the device.
DT_API T* dt_from_data(const void* data, int32_t src_dtype, const double* sizes, int32_t rank, int32_t dtype,
                       int32_t dev, int32_t dev_index) {
  DT_TRY(nullptr, {
    auto shape = dt::dims(sizes, rank);
    auto cpu = at::empty(shape, at::TensorOptions().dtype(dt::scalar_type(src_dtype)));
    if (cpu.numel() > 0) std::memcpy(cpu.data_ptr(), data, cpu.numel() * cpu.element_size());
    return dt::out(cpu.to(dt::device(dev, dev_index), dt::scalar_type(dtype)));
  })
}
DT_OP(full, (const double* sizes, int32_t rank, double value, int32_t dtype, int32_t dev, int32_t idx),
      at::full(dt::dims(sizes, rank), value, at::TensorOptions().dtype(dt::scalar_type(dtype)).device(dt::device(dev, idx))))
DT_OP(arange, (double start, double end, double step, int32_t dtype, int32_t dev, int32_t idx),
      at::arange(start, end, step, at::TensorOptions().dtype(dt::scalar_type(dtype)).device(dt::device(dev, idx))))
DT_OP(eye, (int32_t n, int32_t dtype, int32_t dev, int32_t idx),
      at::eye(n, at::TensorOptions().dtype(dt::scalar_type(dtype)).device(dt::device(dev, idx))))

// kind 0: uniform [0, 1); kind 1: standard normal.
DT_API T* dt_random(const double* sizes, int32_t rank, int32_t kind, int32_t dtype, int32_t dev, int32_t idx,
                    uint32_t seed_hi, uint32_t seed_lo) {
  DT_TRY(nullptr, {
    const auto device = dt::device(dev, idx);
    auto gen = dt::generator(device, seed_hi, seed_lo);
    const auto opts = at::TensorOptions().dtype(dt::scalar_type(dtype)).device(device);
    return dt::out(kind == 0 ? at::rand(dt::dims(sizes, rank), gen, opts) : at::randn(dt::dims(sizes, rank), gen, opts));
  })
}
DT_API T* dt_randint(double low, double high, const double* sizes, int32_t rank, int32_t dtype, int32_t dev, int32_t idx,
                     uint32_t seed_hi, uint32_t seed_lo) {
  DT_TRY(nullptr, {
    const auto device = dt::device(dev, idx);
    auto gen = dt::generator(device, seed_hi, seed_lo);
    return dt::out(at::randint(static_cast<int64_t>(low), static_cast<int64_t>(high), dt::dims(sizes, rank), gen,
                               at::TensorOptions().dtype(dt::scalar_type(dtype)).device(device)));
  })
}
// Bernoulli(p) samples shaped like `like`, as `like`'s dtype.
DT_API T* dt_bernoulli(T* like, double p, uint32_t seed_hi, uint32_t seed_lo) {
  DT_TRY(nullptr, {
    auto gen = dt::generator(like->device(), seed_hi, seed_lo);
    return dt::out(at::empty_like(*like, at::MemoryFormat::Contiguous).bernoulli_(p, gen));
  })
}
namespace {

// splitmix64's output at position i of the stream that starts at `seed`: a counter-based generator,
// so any element's draw is known without the ones before it.
inline uint64_t splitmix64(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The inverted-dropout mask on CPU: each element is 1/(1-p) with probability 1-p (53-bit resolution)
// and 0 otherwise. ATen's bernoulli_ on CPU without MKL draws from one mt19937 serially, which took
// ~10% of a seed-size training step; hashing the element index parallelizes and vectorizes, and the
// mask depends only on the seed, never on the thread count.
at::Tensor dropout_mask_cpu(const at::Tensor& like, double p, uint64_t seed) {
  auto mask = at::empty(like.sizes(), like.options().memory_format(at::MemoryFormat::Contiguous));
  const auto keep_below = static_cast<uint64_t>(std::ldexp(1.0 - p, 53));
  AT_DISPATCH_FLOATING_TYPES(mask.scalar_type(), "dropout_mask", [&] {
    auto* out = mask.data_ptr<scalar_t>();
    const auto scale = static_cast<scalar_t>(1.0 / (1.0 - p));
    at::parallel_for(0, mask.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) out[i] = (splitmix64(seed, i) >> 11) < keep_below ? scale : scalar_t(0);
    });
  });
  return mask;
}

}  // namespace

// Inverted dropout with an explicit seed: x * mask / (1 - p); differentiable through the product.
DT_API T* dt_dropout(T* x, double p, uint32_t seed_hi, uint32_t seed_lo) {
  DT_TRY(nullptr, {
    TORCH_CHECK(p >= 0 && p < 1, "dropout probability must be in [0, 1), got ", p);
    if (p == 0) return dt::out(*x);
    if (x->is_cpu() && at::isFloatingType(x->scalar_type()) && x->scalar_type() != at::kHalf &&
        x->scalar_type() != at::kBFloat16) {
      const uint64_t seed = (static_cast<uint64_t>(seed_hi) << 32) | seed_lo;
      return dt::out(*x * dropout_mask_cpu(*x, p, seed));
    }
    auto gen = dt::generator(x->device(), seed_hi, seed_lo);
    auto mask = at::empty_like(*x, at::MemoryFormat::Contiguous).bernoulli_(1 - p, gen);
    return dt::out(*x * mask.mul_(1.0 / (1.0 - p)));
  })
}

// ---- data out ----
// Copies the tensor's elements (as its own dtype, row-major) into `dst`, which holds `capacity` bytes.
DT_API int32_t dt_copy_to(T* t, void* dst, double capacity) {
  DT_TRY(-1, {
    auto cpu = t->detach().to(at::kCPU).contiguous();
    const auto n = cpu.numel() * static_cast<int64_t>(cpu.element_size());
    TORCH_CHECK(static_cast<double>(n) <= capacity, "destination buffer holds ", capacity, " bytes, tensor needs ", n);
    if (n > 0) std::memcpy(dst, cpu.data_ptr(), n);
    return 0;
  })
}
// Address of a CPU contiguous tensor's first element (null, with an error, otherwise).
DT_API void* dt_data_ptr(T* t) {
  DT_TRY(nullptr, {
    TORCH_CHECK(t->device().is_cpu(), "a zero-copy view needs a CPU tensor, this one is on ", t->device().str());
    TORCH_CHECK(t->is_contiguous(), "a zero-copy view needs a contiguous tensor");
    void* p = t->data_ptr();
    static char empty = 0;
    return p == nullptr ? static_cast<void*>(&empty) : p;
  })
}
DT_API int32_t dt_item(T* t, double* out) {
  DT_TRY(-1, {
    TORCH_CHECK(t->numel() == 1, "item() needs a tensor with exactly one element, got ", t->numel(), " elements of shape ",
                t->sizes());
    *out = t->item<double>();
    return 0;
  })
}
DT_API int32_t dt_is_contiguous(T* t) { DT_TRY(-1, return t->is_contiguous() ? 1 : 0;) }

// ---- conversion ----
DT_OP(to_dtype, (T* x, int32_t dtype), x->to(dt::scalar_type(dtype)))
DT_OP(to_device, (T* x, int32_t dev, int32_t idx), x->to(dt::device(dev, idx)))
DT_OP(clone, (T* x), x->clone(at::MemoryFormat::Contiguous))
DT_OP(alias, (T* x), *x)
DT_OP(detach, (T* x), x->detach())
