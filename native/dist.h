// What the distributed files share: dist.cpp (the process group and its collectives), dist_grad.cpp
// (gradients summed while backward runs) and dist_nccl.cpp (the NCCL backend, compiled only when
// setup.sh finds NCCL with a CUDA libtorch: TORCH_NCCL=1, which defines DT_WITH_NCCL). Only
// dist_nccl.cpp needs CUDA's and NCCL's headers.
#pragma once

#include "shim.h"

// Which backends this build has. The c10d headers declare Gloo's only under USE_C10D_GLOO (libtorch's
// own build defines it), and include Gloo's headers, which Debian ships apart (libgloo-dev, installed
// by setup.sh); where they are absent the library still builds, and the calls that need Gloo fail
// saying why.
#if !defined(DT_NO_GLOO) && __has_include(<gloo/config.h>) && \
    __has_include(<torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>)
#define DT_HAVE_GLOO 1
#endif
#if defined(DT_HAVE_GLOO) || defined(DT_WITH_NCCL)
#define DT_HAVE_DIST 1
#endif

namespace dt {
inline constexpr const char* kNoGloo =
    "distributed training on CPU needs Gloo's headers, which this build did not find (on Debian: apt-get "
    "install libgloo-dev, then scripts/setup.sh)";
}  // namespace dt

#if defined(DT_HAVE_DIST)
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

// This process's group (dist.cpp); outside one, an error naming `op`.
Collectives& dist_group(const char* op);
// Whether the group is NCCL's, and the device whose tensors it takes (NCCL: this rank's GPU).
bool dist_is_nccl();
at::Device dist_device();

#if defined(DT_WITH_NCCL)
// An NCCL group of `size` ranks meeting through `store`, this rank working on cuda:`device`.
// Collectives wait on the host and throw after `timeout` instead of aborting the process.
c10::intrusive_ptr<Collectives> nccl_group(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                           std::chrono::milliseconds timeout, int device);
// Ends a group that nccl_group made, as torch.distributed's destroy_process_group does.
void nccl_shutdown(Collectives& group);
#endif

}  // namespace dt
#endif
