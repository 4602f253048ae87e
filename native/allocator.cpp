// The CPU allocator: large buffers come from a bounded cache of mapped memory.
//
// A training step allocates and frees the same large buffers (activations, gradients, logits) every
// step. Returned to the OS, each one is faulted in again page by page on the next step (glibc's
// default: 13 M minor faults in 40 steps of the cpu-small preset). Kept in glibc's heap instead, the
// faults go, but the heap cannot give back what fragments under batch shapes that vary, and a
// 60-minute run grew without bound (3.9 GB after 40 steps, 7.5 GB at the end).
//
// Here a freed large buffer stays mapped as a free range; a request takes the front of the smallest
// free range that holds it (best fit), and neighbouring free ranges merge, so the next step's buffers
// land in pages that are already resident. What bounds the footprint: the mapped total never exceeds
// kSlack times the most bytes ever live in these ranges at once. A request that no free range holds,
// and that would pass that budget, first unmaps the ranges freed longest ago.
//
// Small buffers go to malloc, with its thresholds fixed (see use_fixed_malloc_thresholds). Every
// buffer starts with a 64-byte header (c10's alignment) holding its range's size (0 for malloc's), so
// the deleter needs no lookup and a buffer's context is itself.
#include "shim.h"

#include <c10/core/CPUAllocator.h>
#include <malloc.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

namespace {

constexpr size_t kHeader = 64;
constexpr size_t kLarge = size_t{1} << 20;  // buffers from here up come from mapped ranges
constexpr size_t kUnit = size_t{64} << 10;  // ranges are whole units: split-off rests stay page-aligned
double g_slack = 1.25;                      // mapped bytes ≤ slack × the high-water mark of live bytes

struct Header {
  size_t mapped;  // the range's size; 0 for a malloc'd buffer
};

class RangeCache {
 public:
  char* take(size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    char* base = reuse(size);
    if (base == nullptr) base = map(size);
    live_ += size;
    peak_live_ = std::max(peak_live_, live_);
    return base;
  }

  void give_back(char* base, size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    live_ -= size;
    cached_ += size;
    Range range{size, ++tick_};
    auto next = by_address_.find(base + size);
    if (next != by_address_.end()) {  // the range after it is free: merge
      range.size += next->second.size;
      remove(next);
    }
    auto prev = by_address_.lower_bound(base);
    if (prev != by_address_.begin() && std::prev(prev)->first + std::prev(prev)->second.size == base) {
      --prev;  // and so is the one before it
      base = prev->first;
      range.size += prev->second.size;
      remove(prev);
    }
    insert(base, range);
  }

  void release_all() {
    std::lock_guard<std::mutex> lock(mutex_);
    while (!by_address_.empty()) evict(by_address_.begin());
  }

  // [live bytes, cached free bytes, high-water mark of live bytes, mappings made, ranges unmapped]
  void stats(double* out) {
    std::lock_guard<std::mutex> lock(mutex_);
    out[0] = static_cast<double>(live_);
    out[1] = static_cast<double>(cached_);
    out[2] = static_cast<double>(peak_live_);
    out[3] = static_cast<double>(maps_);
    out[4] = static_cast<double>(unmaps_);
  }

 private:
  struct Range {
    size_t size;
    uint64_t freed_at;  // a tick: the coldest range is unmapped first
  };
  using Ranges = std::map<char*, Range>;

  // The front of the smallest free range that holds `size`; the rest of that range stays free.
  char* reuse(size_t size) {
    auto fit = by_size_.lower_bound({size, nullptr});
    if (fit == by_size_.end()) return nullptr;
    auto range = by_address_.find(fit->second);
    char* base = range->first;
    const Range rest{range->second.size - size, range->second.freed_at};
    remove(range);
    if (rest.size > 0) insert(base + size, rest);
    cached_ -= size;
    return base;
  }

  char* map(size_t size) {
    const double most = static_cast<double>(std::max(peak_live_, live_ + size));
    const size_t budget = static_cast<size_t>(g_slack * most);
    while (!by_address_.empty() && live_ + cached_ + size > budget) evict(coldest());
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED && !by_address_.empty()) {  // out of memory or address space: drop the cache, once
      while (!by_address_.empty()) evict(by_address_.begin());
      p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }
    TORCH_CHECK(p != MAP_FAILED, "out of memory: could not map ", size, " bytes for a tensor (", std::strerror(errno),
                ")");
    maps_++;
    return static_cast<char*>(p);
  }

  Ranges::iterator coldest() {
    auto oldest = by_address_.begin();
    for (auto it = by_address_.begin(); it != by_address_.end(); ++it) {
      if (it->second.freed_at < oldest->second.freed_at) oldest = it;
    }
    return oldest;
  }

  void evict(Ranges::iterator range) {
    munmap(range->first, range->second.size);
    cached_ -= range->second.size;
    unmaps_++;
    remove(range);
  }

  void insert(char* base, Range range) {
    by_address_.emplace(base, range);
    by_size_.emplace(range.size, base);
  }

  // Forgets a free range (taken, merged or unmapped); the caller accounts for its bytes.
  void remove(Ranges::iterator range) {
    by_size_.erase({range->second.size, range->first});
    by_address_.erase(range);
  }

  std::mutex mutex_;
  Ranges by_address_;
  std::set<std::pair<size_t, char*>> by_size_;  // the same free ranges, by size for best fit
  size_t live_ = 0, cached_ = 0, peak_live_ = 0;
  uint64_t tick_ = 0, maps_ = 0, unmaps_ = 0;
};

// Never destroyed: tensors freed during exit still reach it.
RangeCache& cache() {
  static RangeCache* instance = new RangeCache();
  return *instance;
}

void delete_buffer(void* data) {
  if (data == nullptr) return;
  char* base = static_cast<char*>(data) - kHeader;
  const size_t mapped = reinterpret_cast<Header*>(base)->mapped;
  if (mapped == 0) {
    std::free(base);
  } else {
    cache().give_back(base, mapped);
  }
}

struct CachingCpuAllocator final : c10::Allocator {
  // libtorch 2.3 dropped the const of allocate: one of these two overrides it, whichever version.
  c10::DataPtr allocate(size_t n) const { return allocate_buffer(n); }
  c10::DataPtr allocate(size_t n) { return allocate_buffer(n); }

  c10::DeleterFnPtr raw_deleter() const override { return &delete_buffer; }

  // libtorch 2.3 made this pure virtual; before, it is just a method.
  void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }

 private:
  static c10::DataPtr allocate_buffer(size_t n) {
    const c10::Device cpu(c10::DeviceType::CPU);
    if (n == 0) return {nullptr, nullptr, &delete_buffer, cpu};
    TORCH_CHECK(n <= (size_t{1} << 48), "out of memory: a tensor of ", n, " bytes");
    const size_t total = n + kHeader;
    char* base;
    size_t mapped = 0;
    if (total >= kLarge) {
      mapped = (total + kUnit - 1) / kUnit * kUnit;
      base = cache().take(mapped);
    } else {
      void* p = nullptr;
      TORCH_CHECK(posix_memalign(&p, kHeader, total) == 0, "out of memory: could not allocate ", n, " bytes");
      base = static_cast<char*>(p);
    }
    reinterpret_cast<Header*>(base)->mapped = mapped;
    char* data = base + kHeader;
    return {data, data, &delete_buffer, cpu};
  }
};

// glibc's malloc adapts its thresholds as a process runs: freeing an mmapped block of up to 32 MiB
// (a file read, a JS buffer) raises the size from which it maps blocks to that block's size, and the
// free heap top it keeps to twice that, for good. Part way through a run, then, buffers of up to
// 32 MiB that were mapped and unmapped start to come from the heaps, and up to 64 MiB per arena
// stays unreturned: what a long run's resident set does would depend on when the first such free
// happened. Fixed thresholds make it the same from the first step to the last: blocks from 1 MiB up
// (few, since tensors that size come from the range cache) are mapped, and a heap keeps at most
// 16 MiB of free top.
void use_fixed_malloc_thresholds() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, static_cast<int>(kLarge));
  mallopt(M_TRIM_THRESHOLD, 16 << 20);
#endif
}

}  // namespace

// Installs the allocator for every CPU tensor made from now on; `slack` ≥ 1 bounds its mapped bytes
// (see above). Tensors made before keep their own deleters.
DT_API int32_t dt_use_caching_allocator(double slack) {
  DT_TRY(-1, {
    TORCH_CHECK(slack >= 1 && slack <= 16, "the allocator's slack must be within [1, 16], got ", slack);
    g_slack = slack;
    use_fixed_malloc_thresholds();
    static CachingCpuAllocator* allocator = new CachingCpuAllocator();
    c10::SetCPUAllocator(allocator, /*priority=*/1);
    return 0;
  })
}

// [live bytes, cached free bytes, high-water mark of live bytes, mappings made, ranges unmapped]
DT_API int32_t dt_allocator_stats(double* out) {
  DT_TRY(-1, {
    cache().stats(out);
    return 0;
  })
}

// Unmaps every cached free range (its memory goes back to the OS; the next large buffers fault again),
// and has malloc give back the free pages of its heaps, which fragment under buffers of changing sizes.
DT_API int32_t dt_allocator_release_cache() {
  DT_TRY(-1, {
    cache().release_all();
    malloc_trim(0);
    return 0;
  })
}

// ---- the process's resident memory (Linux's /proc/self; Deno's permissions keep JS from reading it) ----

// [resident bytes now (VmRSS), the high-water mark (VmHWM)]; -1 and an error where /proc is missing.
DT_API int32_t dt_resident_memory(double* out) {
  DT_TRY(-1, {
    std::FILE* f = std::fopen("/proc/self/status", "r");
    TORCH_CHECK(f != nullptr, "cannot read /proc/self/status (", std::strerror(errno), ")");
    out[0] = out[1] = -1;
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      long long kib = 0;
      if (std::sscanf(line, "VmRSS: %lld kB", &kib) == 1) out[0] = static_cast<double>(kib) * 1024;
      if (std::sscanf(line, "VmHWM: %lld kB", &kib) == 1) out[1] = static_cast<double>(kib) * 1024;
    }
    std::fclose(f);
    TORCH_CHECK(out[0] >= 0 && out[1] >= 0, "/proc/self/status has no VmRSS/VmHWM lines");
    return 0;
  })
}

// Resets the high-water mark to the current resident set (Linux ≥ 4.0: "5" into clear_refs).
DT_API int32_t dt_reset_peak_resident() {
  DT_TRY(-1, {
    std::FILE* f = std::fopen("/proc/self/clear_refs", "w");
    TORCH_CHECK(f != nullptr, "cannot open /proc/self/clear_refs (", std::strerror(errno), ")");
    const bool written = std::fputs("5", f) >= 0;
    TORCH_CHECK(std::fclose(f) == 0 && written, "cannot reset the resident high-water mark (", std::strerror(errno),
                ")");
    return 0;
  })
}
