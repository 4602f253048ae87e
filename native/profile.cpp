// Time spent inside the shim, per exported function, for `--profile` breakdowns. Off by default:
// then each call pays one branch on a global flag. On, each call reads the steady clock twice and
// adds to its function's entry, so wall time minus the total is what JS and the FFI crossing cost.
#include "shim.h"

#include <chrono>
#include <mutex>
#include <unordered_map>

namespace {

struct Entry {
  double calls = 0;
  double ns = 0;
};

std::mutex g_mutex;
// Keyed by __func__, whose storage is static: the pointer is the identity.
std::unordered_map<const char*, Entry> g_entries;
std::vector<const char*> g_order;  // first-call order, so JS can page through by index

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

namespace dt {

std::atomic<bool> g_profiling{false};

ProfileScope::ProfileScope(const char* name) : name_(g_profiling.load(std::memory_order_relaxed) ? name : nullptr) {
  if (name_ != nullptr) start_ = now_ns();
}

ProfileScope::~ProfileScope() {
  if (name_ == nullptr) return;
  const double elapsed = static_cast<double>(now_ns() - start_);
  try {
    std::lock_guard<std::mutex> lock(g_mutex);
    auto [it, added] = g_entries.try_emplace(name_);
    if (added) g_order.push_back(name_);
    it->second.calls += 1;
    it->second.ns += elapsed;
  } catch (...) {
    // Out of memory while counting: this call goes uncounted; a destructor must not throw.
  }
}

}  // namespace dt

// These three are not wrapped in DT_TRY, which would time them too; they catch on their own.

// Clears the counters and turns timing on (1) or off (0). Returns the number of entries, or -1.
DT_API int32_t dt_profile(int32_t enable) {
  try {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (enable) {
      g_entries.clear();
      g_order.clear();
    }
    dt::g_profiling.store(enable != 0);
    return static_cast<int32_t>(g_order.size());
  } catch (const std::exception& e) {
    dt::set_error(e.what());
    return -1;
  }
}

// Entry i: writes {calls, ns} into out[0..1] and returns the function's name, or null past the end.
DT_API const char* dt_profile_entry(int32_t i, double* out) {
  try {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (i < 0 || i >= static_cast<int32_t>(g_order.size())) return nullptr;
    const Entry& e = g_entries.at(g_order[i]);
    out[0] = e.calls;
    out[1] = e.ns;
    return g_order[i];
  } catch (const std::exception& e) {
    dt::set_error(e.what());
    return nullptr;
  }
}
