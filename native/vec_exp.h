// e^x for x ≤ 0 in a form loops vectorize, shared by the kernels that take softmaxes by hand. Compile
// its users with -ftree-vectorize -fvect-cost-model=dynamic -fno-trapping-math (see the Makefile).
#pragma once

#include <cstdint>
#include <cstring>

namespace dt {

// e^x for x ≤ 0, without branches so that a loop over it vectorizes: x = n ln2 + r with |r| ≤ ln2/2,
// e^r from its Taylor polynomial to r^7 (truncation below 1e-8 relative), 2^n built in the exponent
// bits. Adding 1.5 · 2^23 rounds x log2(e) to the integer n in the low mantissa bits of `shifted`, so
// n needs no float-to-int conversion (undefined for NaN). Below -87, where e^x nears f32's smallest
// normal number, it is 0: beside the largest score's e^0 = 1 such a weight cannot change a sum.
__attribute__((always_inline)) inline float exp_nonpositive(float x) {
  constexpr float shifter = 12582912.0f;  // 1.5 · 2^23
  const float clamped = x < -87.0f ? -87.0f : x;
  const float shifted = clamped * 1.44269504088896341f + shifter;
  const float n = shifted - shifter;
  const float r = (clamped - n * 0.693359375f) + n * 2.12194440e-4f;  // ln 2 in two parts (Cephes)
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  uint32_t bits;
  std::memcpy(&bits, &shifted, sizeof bits);
  const uint32_t power_bits = (bits - 0x4B400000u + 127u) << 23;  // n + 127 in the exponent: 2^n
  float power;
  std::memcpy(&power, &power_bits, sizeof power);
  return x < -87.0f ? 0.0f : p * power;
}

}  // namespace dt
