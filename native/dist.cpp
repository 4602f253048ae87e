// Data-parallel training on libtorch's own distributed engine (c10d): a TCPStore rendezvous and a
// process group, Gloo for CPU tensors or NCCL for CUDA ones (dist_nccl.cpp). One group per process,
// made by dt_dist_init and released by dt_dist_destroy; collectives block until every rank has
// joined them, or fail after the timeout. Without Gloo's headers or NCCL (dist.h), every dt_dist_*
// call fails with a message saying why.
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO
#endif
#include "dist.h"

#if defined(DT_HAVE_DIST)
#include <ATen/core/grad_mode.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if defined(DT_HAVE_GLOO)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#endif

#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

using dt::T;

#if defined(DT_HAVE_DIST)
#if defined(DT_HAVE_GLOO)
static_assert(std::is_base_of<dt::Collectives, c10d::ProcessGroupGloo>::value,
              "dist.h's Collectives must be the base of the Gloo backend");
#endif

namespace {

// The backend: Gloo or NCCL, used through their common base.
c10::intrusive_ptr<dt::Collectives> g_group;
// The device whose tensors the group takes: this rank's GPU for NCCL (only tensors there), the CPU
// for Gloo. The group itself knows its rank and size.
at::Device g_device(at::kCPU);

dt::Collectives& group(const char* op) { return dt::dist_group(op); }

// n tensors of one dtype as one flat buffer: a single collective then moves all of them.
at::Tensor bucket_of(T** xs, int32_t n, const char* op) {
  TORCH_CHECK(n > 0, op, ": no tensors");
  std::vector<at::Tensor> flat;
  flat.reserve(n);
  for (int32_t i = 0; i < n; i++) {
    TORCH_CHECK(xs[i]->scalar_type() == xs[0]->scalar_type(), op, ": tensors of one dtype, got ",
                xs[0]->scalar_type(), " and ", xs[i]->scalar_type());
    TORCH_CHECK(!dt::dist_is_nccl() || xs[i]->device() == g_device, op, ": this rank's NCCL group works on ",
                g_device, " tensors, got one on ", xs[i]->device());
    flat.push_back(xs[i]->detach().reshape({-1}));
  }
  return at::cat(flat);
}

// This machine's address on the route to `host` (the master): what its peers can reach it at. A UDP
// socket "connected" to the host sends nothing; the kernel only picks the route and the source
// address. Empty when the host does not resolve or no route leads there.
std::string local_address_towards(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), "9", &hints, &found) != 0 || !found) return "";
  std::string local;
  for (addrinfo* a = found; a && local.empty(); a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    sockaddr_storage self{};
    socklen_t len = sizeof self;
    char name[NI_MAXHOST];
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&self), &len) == 0 &&
        getnameinfo(reinterpret_cast<sockaddr*>(&self), len, name, sizeof name, nullptr, 0, NI_NUMERICHOST) == 0) {
      local = name;
    }
    close(fd);
  }
  freeaddrinfo(found);
  return local;
}

#if defined(DT_HAVE_GLOO)
// Gloo's transport: on GLOO_SOCKET_IFNAME's interface when set (as in torch.distributed), else on the
// local address that routes to the master, so that ranks on other machines can reach this one.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  const auto local = local_address_towards(master);
  TORCH_CHECK(!local.empty(), "no route from this machine to MASTER_ADDR ", master,
              " (or it does not resolve); set GLOO_SOCKET_IFNAME to the network interface to use");
  return c10d::ProcessGroupGloo::createDeviceForHostname(local);
}
#endif

// The bucket cut back into fresh tensors shaped like xs: out[i] (all or none, dt::out_all).
void unbucket(const at::Tensor& bucket, T** xs, int32_t n, T** out) {
  std::vector<at::Tensor> parts;
  parts.reserve(n);
  int64_t at = 0;
  for (int32_t i = 0; i < n; i++) {
    const auto count = xs[i]->numel();
    parts.push_back(bucket.narrow(0, at, count).view(xs[i]->sizes()).clone());
    at += count;
  }
  dt::out_all(std::move(parts), out);
}

}  // namespace

dt::Collectives& dt::dist_group(const char* op) {
  TORCH_CHECK(g_group, op, ": the distributed process group is not initialized (call initDistributed first)");
  return *g_group;
}
bool dt::dist_is_nccl() { return g_group && g_device.is_cuda(); }
at::Device dt::dist_device() { return g_device; }

// Joins the group: rank 0 hosts the TCPStore at addr:port, the others connect to it. backend 0 is
// Gloo (CPU tensors), 1 is NCCL (tensors on cuda:device, this rank's GPU). Returns 0.
DT_API int32_t dt_dist_init(const char* addr, int32_t port, int32_t rank, int32_t size, double timeout_ms,
                            int32_t backend, int32_t device) {
  DT_TRY(-1, {
    TORCH_CHECK(!g_group, "the distributed process group is already initialized");
    TORCH_CHECK(size >= 1 && rank >= 0 && rank < size, "rank ", rank, " is not in a world of size ", size);
    TORCH_CHECK(port > 0 && port < 65536, "port ", port, " is out of range");
    TORCH_CHECK(backend == 0 || backend == 1, "unknown distributed backend ", backend, " (0 gloo, 1 nccl)");
#if !defined(DT_WITH_NCCL)
    TORCH_CHECK(backend == 0, at::hasCUDA()
                                  ? "the NCCL backend was requested, but this build of the native library has "
                                    "none: rebuild with scripts/setup.sh where NCCL's headers (nccl.h; on Debian "
                                    "libnccl-dev) can be found, or use Gloo"
                                  : "the NCCL backend was requested, but the loaded libtorch has no CUDA "
                                    "support: NCCL needs a CUDA libtorch and GPUs (use Gloo on CPU)");
#endif
    if (backend == 1) {  // checked before the rendezvous, which would wait for the other ranks first
      const int gpus = at::hasCUDA() ? static_cast<int>(at::detail::getCUDAHooks().getNumGPUs()) : 0;
      TORCH_CHECK(device >= 0 && device < gpus, "NCCL: rank ", rank, " wants cuda:", device, " but ", gpus,
                  " CUDA device(s) are visible (one GPU per rank on a machine; LOCAL_RANK picks it)");
    }
    const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_ms));
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<uint16_t>(port);
    opts.isServer = rank == 0;
    opts.numWorkers = size;
    opts.waitWorkers = true;
    opts.timeout = timeout;
    auto store = c10::make_intrusive<c10d::TCPStore>(std::string(addr), opts);
    if (backend == 1) {
#if defined(DT_WITH_NCCL)
      g_group = dt::nccl_group(store, rank, size, timeout, device);
      g_device = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device));
#endif
    } else {
#if defined(DT_HAVE_GLOO)
      auto options = c10d::ProcessGroupGloo::Options::create(timeout);
      options->devices.push_back(gloo_device(addr));
      g_group = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size, options);
      g_device = at::Device(at::kCPU);
#else
      TORCH_CHECK(false, dt::kNoGloo);
#endif
    }
    return 0;
  })
}

DT_API int32_t dt_dist_rank() { return g_group ? g_group->getRank() : -1; }
DT_API int32_t dt_dist_size() { return g_group ? g_group->getSize() : 0; }
// 0 Gloo, 1 NCCL, -1 outside a group.
DT_API int32_t dt_dist_backend() { return g_group ? (dt::dist_is_nccl() ? 1 : 0) : -1; }

// Leaves the group (the other ranks should too). Returns 0.
DT_API int32_t dt_dist_destroy() {
  DT_TRY(-1, {
#if defined(DT_WITH_NCCL)
    if (dt::dist_is_nccl()) dt::nccl_shutdown(*g_group);
#endif
    g_group.reset();
    g_device = at::Device(at::kCPU);
    return 0;
  })
}

// Sums (average = 1: then divides by the world size) n tensors across ranks, in one collective over
// a flat buffer of all of them (small gradients would each pay a round trip otherwise). out[i] =
// the reduced tensor i, fresh.
DT_API int32_t dt_dist_allreduce(T** xs, int32_t n, int32_t average, T** out) {
  DT_TRY(-1, {
    auto& pg = group("allReduce");
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> bucket{bucket_of(xs, n, "allReduce")};
    pg.allreduce(bucket)->wait();
    if (average) bucket[0].div_(pg.getSize());
    unbucket(bucket[0], xs, n, out);
    return 0;
  })
}

// Rank `root`'s values of n tensors, on every rank, in one collective over a flat buffer (Gloo
// broadcasts a list only of same-sized tensors, one per device). out[i] = a fresh tensor like xs[i].
DT_API int32_t dt_dist_broadcast(T** xs, int32_t n, int32_t root, T** out) {
  DT_TRY(-1, {
    auto& pg = group("broadcast");
    TORCH_CHECK(root >= 0 && root < pg.getSize(), "broadcast: root ", root, " is not in a world of size ",
                pg.getSize());
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> bucket{bucket_of(xs, n, "broadcast")};
    c10d::BroadcastOptions opts;
    opts.rootRank = root;
    pg.broadcast(bucket, opts)->wait();
    unbucket(bucket[0], xs, n, out);
    return 0;
  })
}

// Waits until every rank has reached it. Returns 0. NCCL's own barrier guesses each rank's GPU
// (rank modulo the GPU count), so there the barrier is an all-reduce of one number on this rank's GPU,
// read back to the host.
DT_API int32_t dt_dist_barrier() {
  DT_TRY(-1, {
    auto& pg = group("barrier");
    if (dt::dist_is_nccl()) {
      std::vector<at::Tensor> one{at::zeros({1}, at::TensorOptions().device(g_device))};
      pg.allreduce(one)->wait();
      one[0].cpu();
    } else {
      pg.barrier()->wait();
    }
    return 0;
  })
}

#else  // neither Gloo's headers nor NCCL: the same symbols, each failing with the reason

DT_API int32_t dt_dist_init(const char*, int32_t, int32_t, int32_t, double, int32_t, int32_t) {
  DT_TRY(-1, TORCH_CHECK(false, dt::kNoGloo); return 0;)
}
DT_API int32_t dt_dist_rank() { return -1; }
DT_API int32_t dt_dist_size() { return 0; }
DT_API int32_t dt_dist_backend() { return -1; }
DT_API int32_t dt_dist_destroy() { return 0; }
DT_API int32_t dt_dist_allreduce(T**, int32_t, int32_t, T**) { DT_TRY(-1, TORCH_CHECK(false, dt::kNoGloo); return 0;) }
DT_API int32_t dt_dist_broadcast(T**, int32_t, int32_t, T**) { DT_TRY(-1, TORCH_CHECK(false, dt::kNoGloo); return 0;) }
DT_API int32_t dt_dist_barrier() { DT_TRY(-1, TORCH_CHECK(false, dt::kNoGloo); return 0;) }

#endif
