// Creation and random ops (issue 17): one line each over ATen. Every random draw takes its generator
// from the explicit key JS passes (dt::generator), so the same key gives the same numbers.
#include "shim.h"

using dt::T;

namespace {
at::TensorOptions options(int32_t dtype, int32_t dev, int32_t idx) {
  return at::TensorOptions().dtype(dt::scalar_type(dtype)).device(dt::device(dev, idx));
}
}  // namespace

// ---- ranges and uninitialized tensors ----
DT_OP(linspace, (double start, double end, double steps, int32_t dtype, int32_t dev, int32_t idx),
      at::linspace(start, end, static_cast<int64_t>(steps), options(dtype, dev, idx)))
DT_OP(logspace, (double start, double end, double steps, double base, int32_t dtype, int32_t dev, int32_t idx),
      at::logspace(start, end, static_cast<int64_t>(steps), base, options(dtype, dev, idx)))
DT_OP(empty_like, (T* like, int32_t dtype, int32_t dev, int32_t idx),
      at::empty_like(*like, options(dtype, dev, idx), at::MemoryFormat::Contiguous))

// ---- random draws ----
DT_API T* dt_randperm(double n, int32_t dtype, int32_t dev, int32_t idx, uint32_t seed_hi, uint32_t seed_lo) {
  DT_TRY(nullptr, {
    auto gen = dt::generator(dt::device(dev, idx), seed_hi, seed_lo);
    return dt::out(at::randperm(static_cast<int64_t>(n), gen, options(dtype, dev, idx)));
  })
}
DT_API T* dt_multinomial(T* probs, double samples, int32_t replacement, uint32_t seed_hi, uint32_t seed_lo) {
  DT_TRY(nullptr, {
    auto gen = dt::generator(probs->device(), seed_hi, seed_lo);
    return dt::out(at::multinomial(*probs, static_cast<int64_t>(samples), replacement != 0, gen));
  })
}
DT_API T* dt_normal(const double* sizes, int32_t rank, double mean, double std, int32_t dtype, int32_t dev,
                    int32_t idx, uint32_t seed_hi, uint32_t seed_lo) {
  DT_TRY(nullptr, {
    auto gen = dt::generator(dt::device(dev, idx), seed_hi, seed_lo);
    return dt::out(at::empty(dt::dims(sizes, rank), options(dtype, dev, idx)).normal_(mean, std, gen));
  })
}
DT_API T* dt_uniform(const double* sizes, int32_t rank, double low, double high, int32_t dtype, int32_t dev,
                     int32_t idx, uint32_t seed_hi, uint32_t seed_lo) {
  DT_TRY(nullptr, {
    auto gen = dt::generator(dt::device(dev, idx), seed_hi, seed_lo);
    return dt::out(at::empty(dt::dims(sizes, rank), options(dtype, dev, idx)).uniform_(low, high, gen));
  })
}
