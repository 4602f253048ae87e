// index ops (issue 17): one line each over ATen. Every op that takes indices checks their range
// first (dt::check_index_range: on CUDA an out-of-range index is a device-side assert that poisons
// the context; on CPU the kernels check on their own), dims arrive normalized from lib/ops/indexing.ts.
#include "shim.h"

using dt::T;

namespace {

// The range check for ops where torch reads a negative index from the end (take, index_fill,
// index_put): values in [-n, n) are valid, so the check sees them wrapped into [0, n).
void check_signed_index(const at::Tensor& index, int64_t n) {
  if (!index.is_cuda() || index.numel() == 0) return;
  dt::check_index_range(at::where(index < 0, index + n, index), n);
}

const char* reduce_name(int32_t code) {
  switch (code) {
    case 0: return "sum";
    case 1: return "prod";
    case 2: return "mean";
    case 3: return "amax";
    case 4: return "amin";
  }
  TORCH_CHECK(false, "scatterReduce: unknown reduce code ", code);
}

}  // namespace

DT_API T* dt_scatter(T* x, int32_t dim, T* index, T* src) {
  DT_TRY(nullptr, dt::check_index_range(*index, x->size(dim)); return dt::out(at::scatter(*x, dim, *index, *src));)
}
DT_API T* dt_scatter_value(T* x, int32_t dim, T* index, double value) {
  DT_TRY(nullptr, dt::check_index_range(*index, x->size(dim));
         return dt::out(at::scatter(*x, dim, *index, dt::scalar(*x, value)));)
}
DT_API T* dt_scatter_add(T* x, int32_t dim, T* index, T* src) {
  DT_TRY(nullptr, dt::check_index_range(*index, x->size(dim));
         return dt::out(at::scatter_add(*x, dim, *index, *src));)
}
DT_API T* dt_scatter_reduce(T* x, int32_t dim, T* index, T* src, int32_t reduce, int32_t include_self) {
  DT_TRY(nullptr, dt::check_index_range(*index, x->size(dim));
         return dt::out(at::scatter_reduce(*x, dim, *index, *src, reduce_name(reduce), include_self != 0));)
}
DT_API T* dt_index_add(T* x, int32_t dim, T* index, T* source, double alpha) {
  DT_TRY(nullptr, dt::check_index_range(*index, x->size(dim));
         return dt::out(at::index_add(*x, dim, *index, *source, dt::scalar(*x, alpha)));)
}
DT_API T* dt_index_fill(T* x, int32_t dim, T* index, double value) {
  DT_TRY(nullptr, check_signed_index(*index, x->size(dim));
         return dt::out(at::index_fill(*x, dim, *index, dt::scalar(*x, value)));)
}
// indices[i] indexes dimension i of x (as x[indices[0], indices[1], ...] in Python).
DT_API T* dt_index_put(T* x, T** indices, int32_t n, T* values, int32_t accumulate) {
  DT_TRY(nullptr, {
    TORCH_CHECK(n <= x->dim(), "indexPut: ", n, " index tensors for a tensor of rank ", x->dim());
    c10::List<c10::optional<at::Tensor>> list;
    for (int32_t i = 0; i < n; i++) {
      check_signed_index(*indices[i], x->size(i));
      list.push_back(*indices[i]);
    }
    return dt::out(at::index_put(*x, list, *values, accumulate != 0));
  })
}
DT_API T* dt_take(T* x, T* index) {
  DT_TRY(nullptr, check_signed_index(*index, x->numel()); return dt::out(at::take(*x, *index));)
}
// has_dim 0: x and the indices flattened, as torch.take_along_dim without dim, but by reshape: torch
// 1.13's view(-1) there refuses a non-contiguous x or index.
DT_API T* dt_take_along_dim(T* x, T* index, int32_t has_dim, int32_t dim) {
  DT_TRY(nullptr, dt::check_index_range(*index, has_dim ? x->size(dim) : x->numel());
         return dt::out(has_dim ? at::take_along_dim(*x, *index, dim)
                                : at::take_along_dim(x->reshape(-1), index->reshape(-1), 0));)
}
DT_OP(nonzero, (T* x), at::nonzero(*x))
DT_OP(masked_select, (T* x, T* mask), at::masked_select(*x, *mask))
// One-hot rows need every class in [0, classes): checked on every device, for the clearer message.
DT_API T* dt_one_hot(T* x, double classes) {
  DT_TRY(nullptr, if (classes >= 0) dt::check_index_range(*x, static_cast<int64_t>(classes), true);
         return dt::out(at::one_hot(*x, static_cast<int64_t>(classes)));)
}
