// The int8 product of int8_avx2.h. Weights lie in blocks of 8 columns by 4 inputs, 32 bytes: one
// register. A step of the kernel broadcasts 4 activations of a row (as u8: q + 128) to every column
// of a block, multiplies them pairwise with vpmaddubsw (u8 · s8 → two 16-bit sums of two products per
// column) and adds the pairs with vpmaddwd into 8 int32 sums, one per column. The + 128 that makes
// the activations unsigned adds 128 · (the column's weight sum) to every sum, which the packing
// computes once and the kernel takes away. A tile is 4 rows by 16 columns: 8 accumulators, 2 weight
// registers, the broadcast and the ones, within AVX2's 16 registers; the columns are split among
// threads and each tile's weights stay in L1 while the rows pass over them.
#include "int8_avx2.h"

#include "shim.h"

#include <ATen/Parallel.h>

#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace dt::int8_avx2 {

#if defined(__x86_64__)

namespace {

constexpr int64_t kRows = 4;         // rows of a tile
constexpr int64_t kBlock = 8;        // columns of a block: one register of int32 sums
constexpr int64_t kColumns = 16;     // columns of a tile: two blocks
constexpr int64_t kGroup = 4;        // inputs of a block's column: one int32 of u8 activations
constexpr int64_t kBlockBytes = 32;  // kBlock · kGroup int8 weights
// Below this many multiply-adds a product runs on the calling thread alone: a sleeping OpenMP worker
// takes longer to wake than the product takes (as quantized_dnnl.cpp's kMacsPerWorker).
constexpr int64_t kMacsPerWorker = int64_t{1} << 20;

int64_t round_up(int64_t n, int64_t multiple) { return (n + multiple - 1) / multiple * multiple; }

// Adding and taking away 1.5 · 2^23 rounds a float below 2^22 in magnitude to an integer, half to
// even, as nearbyint does, in plain vector adds (the dnnl engine's rounding, quantized_dnnl.cpp).
constexpr float kRound = 12582912.0f;

// Each row of x [rows, in] → `stride` bytes at u: q + 128 for q = x · inverse rounded, then 128s
// (activation 0) up to the stride.
__attribute__((target("avx2"))) void quantize(const float* x, int64_t rows, int64_t in, float inverse, uint8_t* u,
                                              int64_t stride) {
  const __m256 scale = _mm256_set1_ps(inverse), round = _mm256_set1_ps(kRound);
  const __m256i offset = _mm256_set1_epi32(128);
  // packs and packus interleave their 128-bit lanes; this puts the four groups of 8 back in order.
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (int64_t r = 0; r < rows; r++) {
    const float* src = x + r * in;
    uint8_t* dst = u + r * stride;
    int64_t i = 0;
    for (; i + 32 <= in; i += 32) {
      __m256i q[4];
#pragma GCC unroll 4
      for (int j = 0; j < 4; j++) {
        const __m256 scaled = _mm256_mul_ps(_mm256_loadu_ps(src + i + 8 * j), scale);
        const __m256 rounded = _mm256_sub_ps(_mm256_add_ps(scaled, round), round);
        q[j] = _mm256_add_epi32(_mm256_cvttps_epi32(rounded), offset);  // in [1, 255]
      }
      const __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_permutevar8x32_epi32(bytes, order));
    }
    for (; i < in; i++) {
      const float scaled = src[i] * inverse;
      dst[i] = static_cast<uint8_t>(static_cast<int32_t>((scaled + kRound) - kRound) + 128);
    }
    std::memset(dst + in, 128, static_cast<size_t>(stride - in));
  }
}

// What a tile's epilogue reads beside the sums: 16 columns' compensation, scales and biases (bias
// null when there is none), and where its rows of y go, `ystride` floats apart.
struct Epilogue {
  const int32_t* compensation;
  const float* scales;
  const float* bias;
  float* y;
  int64_t ystride;
};

// R rows (R <= kRows) of u by one tile of 16 columns, whose two blocks start at w and w + groups
// blocks on: y = float(sum - compensation) · scale (+ bias), each step rounded to f32 as the dnnl
// engine's post-ops round.
template <int64_t R>
__attribute__((target("avx2"), always_inline)) inline void tile(const uint8_t* u, int64_t stride, const uint8_t* w,
                                                                int64_t groups, const Epilogue& e) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i sum[R][2];
  // Unrolled, so that the sums stay in registers (-O2 keeps a loop over an array in memory).
#pragma GCC unroll 4
  for (int64_t r = 0; r < R; r++) sum[r][0] = sum[r][1] = _mm256_setzero_si256();
  const uint8_t* w1 = w + groups * kBlockBytes;
  for (int64_t g = 0; g < groups; g++) {
    const __m256i b0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + g * kBlockBytes));
    const __m256i b1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w1 + g * kBlockBytes));
#pragma GCC unroll 4
    for (int64_t r = 0; r < R; r++) {
      int32_t four;
      std::memcpy(&four, u + r * stride + g * kGroup, sizeof four);
      const __m256i a = _mm256_set1_epi32(four);
      sum[r][0] = _mm256_add_epi32(sum[r][0], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b0), ones));
      sum[r][1] = _mm256_add_epi32(sum[r][1], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b1), ones));
    }
  }
  for (int64_t j = 0; j < 2; j++) {
    const __m256i compensation = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(e.compensation + j * kBlock));
    const __m256 scales = _mm256_loadu_ps(e.scales + j * kBlock);
#pragma GCC unroll 4
    for (int64_t r = 0; r < R; r++) {
      __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(sum[r][j], compensation)), scales);
      if (e.bias) v = _mm256_add_ps(v, _mm256_loadu_ps(e.bias + j * kBlock));
      _mm256_storeu_ps(e.y + r * e.ystride + j * kBlock, v);
    }
  }
}

// Every row of u through one tile of columns, 4 rows at a time.
__attribute__((target("avx2"))) void columns(const uint8_t* u, int64_t rows, int64_t stride, const uint8_t* w,
                                             int64_t groups, Epilogue e) {
  int64_t r = 0;
  for (; r + kRows <= rows; r += kRows, u += kRows * stride, e.y += kRows * e.ystride) tile<kRows>(u, stride, w, groups, e);
  switch (rows - r) {
    case 3: tile<3>(u, stride, w, groups, e); break;
    case 2: tile<2>(u, stride, w, groups, e); break;
    case 1: tile<1>(u, stride, w, groups, e); break;
    default: break;
  }
}

}  // namespace

bool available() { return __builtin_cpu_supports("avx2"); }

Weights pack(const at::Tensor& integers) {
  TORCH_CHECK(integers.dim() == 2 && integers.scalar_type() == at::kChar && integers.is_contiguous(),
              "int8_avx2::pack takes contiguous int8 [out, in], got ", integers.scalar_type(), " ", integers.sizes());
  const int64_t out = integers.size(0), in = integers.size(1);
  const int64_t groups = round_up(in, kGroup) / kGroup, padded = round_up(out, kColumns);
  auto blocks = at::zeros({padded / kBlock * groups * kBlockBytes}, integers.options().dtype(at::kByte));
  auto compensation = at::zeros({padded}, integers.options().dtype(at::kInt));
  const int8_t* src = integers.data_ptr<int8_t>();
  auto* dst = reinterpret_cast<int8_t*>(blocks.data_ptr<uint8_t>());
  auto* sums = compensation.data_ptr<int32_t>();
  for (int64_t c = 0; c < out; c++) {
    int32_t sum = 0;
    for (int64_t k = 0; k < in; k++) {
      const int8_t v = src[c * in + k];
      TORCH_CHECK(v >= -64 && v <= 64, "int8_avx2::pack: weight ", v, " at [", c, ", ", k, "] is outside [-64, 64]");
      sum += v;
      dst[((c / kBlock) * groups + k / kGroup) * kBlockBytes + (c % kBlock) * kGroup + k % kGroup] = v;
    }
    sums[c] = 128 * sum;
  }
  return Weights{std::move(blocks), std::move(compensation), in, out};
}

at::Tensor linear(const at::Tensor& x, float inverse, const Weights& w, const float* column_scales,
                  const at::Tensor& bias) {
  const int64_t rows = x.size(0), groups = round_up(w.in, kGroup) / kGroup, stride = groups * kGroup;
  const int64_t tiles = round_up(w.out, kColumns) / kColumns;
  auto activations = at::empty({rows * stride}, x.options().dtype(at::kByte));
  uint8_t* u = activations.data_ptr<uint8_t>();
  quantize(x.data_ptr<float>(), rows, w.in, inverse, u, stride);
  auto y = at::empty({rows, w.out}, x.options());
  float* out = y.data_ptr<float>();
  const float* b = bias.defined() ? bias.data_ptr<float>() : nullptr;
  const auto* blocks = w.blocks.data_ptr<uint8_t>();
  const auto* compensation = w.compensation.data_ptr<int32_t>();
  const int64_t grain = std::max<int64_t>(1, kMacsPerWorker / std::max<int64_t>(1, rows * w.in * kColumns));
  at::parallel_for(0, tiles, grain, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t++) {
      const int64_t first = t * kColumns, width = std::min(kColumns, w.out - first);
      const uint8_t* weights = blocks + t * 2 * groups * kBlockBytes;
      if (width == kColumns) {
        columns(u, rows, stride, weights, groups,
                Epilogue{compensation + first, column_scales + first, b ? b + first : nullptr, out + first, w.out});
        continue;
      }
      // The last tile, part padding: its scales and biases padded to 16 here, its rows written to a
      // buffer and their real columns copied out.
      float scales[kColumns] = {}, biases[kColumns] = {}, rows_out[kRows * kColumns];
      std::memcpy(scales, column_scales + first, sizeof(float) * width);
      if (b) std::memcpy(biases, b + first, sizeof(float) * width);
      for (int64_t r = 0; r < rows; r += kRows) {
        const int64_t n = std::min(kRows, rows - r);
        columns(u + r * stride, n, stride, weights, groups,
                Epilogue{compensation + first, scales, b ? biases : nullptr, rows_out, kColumns});
        for (int64_t i = 0; i < n; i++) std::memcpy(out + (r + i) * w.out + first, rows_out + i * kColumns, sizeof(float) * width);
      }
    }
  });
  return y;
}

#else  // not x86-64: never available, so never called

bool available() { return false; }

Weights pack(const at::Tensor&) { TORCH_CHECK(false, "the int8 AVX2 kernel needs an x86-64 CPU"); }

at::Tensor linear(const at::Tensor&, float, const Weights&, const float*, const at::Tensor&) {
  TORCH_CHECK(false, "the int8 AVX2 kernel needs an x86-64 CPU");
}

#endif

}  // namespace dt::int8_avx2
