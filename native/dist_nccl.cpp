// The NCCL backend of dist.cpp, for CUDA tensors. Built only against a CUDA libtorch whose c10d has
// NCCL (setup.sh: TORCH_NCCL=1), with CUDA's and NCCL's headers on the include path.
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL  // libtorch's own CUDA builds define it; its NCCL header is empty without
#endif
#include "dist.h"

#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include <cstdlib>

static_assert(std::is_base_of<dt::Collectives, c10d::ProcessGroupNCCL>::value,
              "dist.h's Collectives must be the base of the NCCL backend");

c10::intrusive_ptr<dt::Collectives> dt::nccl_group(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                                   int size, std::chrono::milliseconds timeout, int device) {
  // Without blocking wait, a collective that times out is torn down by NCCL's watchdog thread, which
  // ends the whole process; with it, wait() throws on this thread and the error reaches JS. An
  // explicit setting of the user's is left alone. (libtorch 2.x reads the TORCH_ name, 1.x the other.)
  setenv("TORCH_NCCL_BLOCKING_WAIT", "1", /*overwrite=*/0);
  setenv("NCCL_BLOCKING_WAIT", "1", /*overwrite=*/0);
  c10::cuda::set_device(static_cast<c10::DeviceIndex>(device));
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
}

namespace {
// libtorch 2.x's ProcessGroupNCCL has shutdown(): it aborts the communicators and stops the watchdog
// thread (destroying a group without it warns); 1.x has none, and its destructor does that work.
template <class Group>
auto shutdown_if_any(Group& group, int) -> decltype(group.shutdown(), void()) {
  group.shutdown();
}
template <class Group>
void shutdown_if_any(Group&, long) {}
}  // namespace

void dt::nccl_shutdown(Collectives& group) { shutdown_if_any(static_cast<c10d::ProcessGroupNCCL&>(group), 0); }
