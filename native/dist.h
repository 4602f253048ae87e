// What dist.cpp (the process group and its collectives) shares with dist_nccl.cpp (the NCCL backend,
// compiled only when setup.sh finds NCCL with a CUDA libtorch: TORCH_NCCL=1, which defines
// DT_WITH_NCCL). Kept apart so that only dist_nccl.cpp needs CUDA's and NCCL's headers.
#pragma once

#include "shim.h"

#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>

#if DT_TORCH_AT_LEAST(2, 0)
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif

namespace dt {

// The base class that every c10d backend derives from and that declares the collectives: a Backend
// under a ProcessGroup in libtorch 2.x, the ProcessGroup itself in 1.x.
#if DT_TORCH_AT_LEAST(2, 0)
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

#if defined(DT_WITH_NCCL)
// An NCCL group of `size` ranks meeting through `store`, this rank working on cuda:`device`.
// Collectives wait on the host and throw after `timeout` instead of aborting the process.
c10::intrusive_ptr<Collectives> nccl_group(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout, int device);
// Ends a group that nccl_group made, as torch.distributed's destroy_process_group does.
void nccl_shutdown(Collectives& group);
#endif

}  // namespace dt
