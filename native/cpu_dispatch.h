// One kernel compiled twice, for AVX2 and for any CPU, and the copy this CPU can run picked at run
// time: the shim builds for the baseline x86-64 (it runs where it was built and elsewhere), and the
// loops of its own kernels are worth four to eight lanes. The body is an always_inline function, so
// each copy compiles it with its own target.
#pragma once

#include <cstring>

// Defines `result name params`, which calls `body args` compiled with `features` ("avx2" or
// "avx2,fma") where `__builtin_cpu_supports` reports every one of them, and the portable build elsewhere.
#if defined(__x86_64__)
#define DT_AVX2_DISPATCH(result, name, params, body, args, features)                               \
  result name##_portable params { return body args; }                                              \
  __attribute__((target(features))) result name##_avx2 params { return body args; }                \
  result name params {                                                                             \
    static const bool avx2 = dt::cpu_supports(features);                                           \
    return avx2 ? name##_avx2 args : name##_portable args;                                         \
  }
#else
#define DT_AVX2_DISPATCH(result, name, params, body, args, features) \
  result name params { return body args; }
#endif

namespace dt {

// Whether the CPU has every feature in `features`, "avx2" or "avx2,fma".
inline bool cpu_supports(const char* features) {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx2") && (std::strstr(features, "fma") == nullptr || __builtin_cpu_supports("fma"));
#else
  (void)features;
  return false;
#endif
}

}  // namespace dt
