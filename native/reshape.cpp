// reshape ops (issue 17): one line each over ATen. Dims arrive normalized and sizes validated by
// lib/ops/rearrange.ts; the ops that return several tensors take their count from JS as `n` and
// check it here, so that a disagreement is an error rather than a write past the slots.
#include "shim.h"

using dt::T;

namespace {

// Publishes `results` into `n` slots, refusing a count other than the one JS made room for.
int32_t out_n(std::vector<at::Tensor> results, int32_t n, T** slots, const char* op) {
  TORCH_CHECK(static_cast<int64_t>(results.size()) == n, op, ": expected ", n, " results, got ", results.size());
  dt::out_all(std::move(results), slots);
  return 0;
}

const char* pad_mode(int32_t code) {
  switch (code) {
    case 0: return "constant";
    case 1: return "reflect";
    case 2: return "replicate";
    case 3: return "circular";
  }
  TORCH_CHECK(false, "pad: unknown mode code ", code);
}

}  // namespace

DT_OP(flatten, (T* x, int32_t start, int32_t end), x->flatten(start, end))
DT_OP(unflatten, (T* x, int32_t dim, const double* sizes, int32_t n), x->unflatten(dim, dt::dims(sizes, n)))
DT_OP(flip, (T* x, const double* dims, int32_t n), at::flip(*x, dt::dims(dims, n)))
DT_OP(roll, (T* x, const double* shifts, const double* dims, int32_t n, int32_t nd),
      at::roll(*x, dt::dims(shifts, n), dt::dims(dims, nd)))
DT_OP(repeat, (T* x, const double* repeats, int32_t n), x->repeat(dt::dims(repeats, n)))
DT_OP(tile, (T* x, const double* reps, int32_t n), at::tile(*x, dt::dims(reps, n)))
// has_dim 0: x flattened first, as torch.repeat_interleave without dim.
DT_OP(repeat_interleave, (T* x, double repeats, int32_t has_dim, int32_t dim),
      at::repeat_interleave(*x, static_cast<int64_t>(repeats), has_dim ? c10::optional<int64_t>(dim) : c10::nullopt))
DT_OP(repeat_interleave_tensor, (T* x, T* repeats, int32_t has_dim, int32_t dim),
      at::repeat_interleave(*x, *repeats, has_dim ? c10::optional<int64_t>(dim) : c10::nullopt))
// mode: 0 constant (with value), 1 reflect, 2 replicate, 3 circular.
DT_OP(pad, (T* x, const double* padding, int32_t n, int32_t mode, double value),
      at::pad(*x, dt::dims(padding, n), pad_mode(mode), mode == 0 ? c10::optional<double>(value) : c10::nullopt))
DT_OP(movedim, (T* x, const double* src, const double* dst, int32_t n),
      at::movedim(*x, dt::dims(src, n), dt::dims(dst, n)))
DT_OP(narrow, (T* x, int32_t dim, double start, double length),
      x->narrow(dim, static_cast<int64_t>(start), static_cast<int64_t>(length)))
DT_OP(diag, (T* x, int32_t k), at::diag(*x, k))
DT_OP(diagonal, (T* x, int32_t offset, int32_t d1, int32_t d2), at::diagonal(*x, offset, d1, d2))
DT_OP(broadcast_to, (T* x, const double* sizes, int32_t n), at::broadcast_to(*x, dt::dims(sizes, n)))

DT_API int32_t dt_split(T* x, double size, int32_t dim, int32_t n, T** out) {
  DT_TRY(-1, return out_n(at::split(*x, static_cast<int64_t>(size), dim), n, out, "split");)
}
DT_API int32_t dt_split_sizes(T* x, const double* sizes, int32_t n, int32_t dim, T** out) {
  DT_TRY(-1, return out_n(at::split_with_sizes(*x, dt::dims(sizes, n), dim), n, out, "split");)
}
DT_API int32_t dt_chunk(T* x, int32_t chunks, int32_t dim, int32_t n, T** out) {
  DT_TRY(-1, return out_n(at::chunk(*x, chunks, dim), n, out, "chunk");)
}
DT_API int32_t dt_unbind(T* x, int32_t dim, int32_t n, T** out) {
  DT_TRY(-1, return out_n(at::unbind(*x, dim), n, out, "unbind");)
}
// xy: 1 for Cartesian indexing (the first two dims swapped), 0 for matrix ("ij").
DT_API int32_t dt_meshgrid(T** items, int32_t n, int32_t xy, T** out) {
  DT_TRY(-1, return out_n(at::meshgrid(dt::list(items, n), xy ? "xy" : "ij"), n, out, "meshgrid");)
}
