// int8 linear layers on oneDNN's matmul kernels, called directly. oneDNN is the library under
// libtorch's onednn quantized engine, and Debian's libtorch links the system's libdnnl. libtorch 1.13's
// quantized::linear_dynamic asks it for asymmetric activations (a runtime zero point) and runtime output
// scales, which oneDNN serves with its generic gemm:jit path and two reorders per call. Here:
//   - weights are packed once, in the layout the brgemm VNNI kernel reads (its choice, `format_tag::any`);
//   - activations are quantized symmetrically, one scale per call, so there is no zero point;
//   - the scales and the bias are post-ops of the kernel (binary mul and add over the output columns).
// Each call is then one quantizing pass over x and one brgemm kernel. On CPUs with AVX2 and without
// VNNI, where oneDNN has no int8 brgemm, the same arithmetic runs on the project's kernel instead
// (int8_avx2.cpp), its weights packed once.
#include "quantized_dnnl.h"

#include "int8_avx2.h"

#include "shim.h"

#ifdef DT_WITH_DNNL
#include <oneapi/dnnl/dnnl.hpp>

#include <omp.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>
#endif

namespace dt::dnnl_int8 {

#ifdef DT_WITH_DNNL

namespace {

using dnnl::memory;
using f = memory::format_tag;
using t = memory::data_type;

dnnl::engine& cpu() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::matmul::primitive_desc describe(t type, int64_t rows, int64_t in, int64_t out, bool bias, f weights);

// The f32 weights' layout: the kernel's own choice (`any`: blocked for brgemm on AVX-512), except where
// that choice is a plain row-major [in, out], as oneDNN's gemm path picks on AVX2. There plain
// [out, in] (format ba, the weight as it lies) serves the same kernel, and the weight needs no copy.
f f32_weights() {
  static const f layout = [] {
    const auto chosen = describe(t::f32, 1, 256, 256, false, f::any).weights_desc();
    return chosen == memory::desc({256, 256}, t::f32, f::ab) ? f::ba : f::any;
  }();
  return layout;
}

// int8: x [rows, in] s8 · w [in, out] s8 → f32, then · scales [1, out], then + bias [1, out].
// f32: x [rows, in] f32 · w [in, out] f32 → f32, then + bias [1, out].
dnnl::matmul::primitive_desc describe(t type, int64_t rows, int64_t in, int64_t out, bool bias, f weights) {
  dnnl::post_ops ops;
  if (type == t::s8) ops.append_binary(dnnl::algorithm::binary_mul, memory::desc({1, out}, t::f32, f::ab));
  if (bias) ops.append_binary(dnnl::algorithm::binary_add, memory::desc({1, out}, t::f32, f::ab));
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  const dnnl::matmul::desc desc(memory::desc({rows, in}, type, f::ab), memory::desc({in, out}, type, weights),
                                memory::desc({rows, out}, t::f32, f::ab));
  return dnnl::matmul::primitive_desc(desc, attr, cpu());
}

struct Kernel {
  dnnl::matmul matmul;
  memory::desc weights;  // the layout this primitive reads its weights in
};

// A primitive is fixed to its shape, and the rows change from call to call (sentences leave a
// decoding batch), so each shape's primitive is made once and kept. oneDNN's gemm path (the one that
// reads plain weights, see f32_weights) takes the f32 rows at run time instead: one primitive per
// weight there, where one per row count held about 1 MB of primitives and code per sentence of a batch.
const Kernel& kernel(t type, int64_t rows, int64_t in, int64_t out, bool bias) {
  static std::mutex lock;
  static std::unordered_map<std::string, Kernel> kernels;
  if (type == t::f32 && f32_weights() == f::ba) rows = DNNL_RUNTIME_DIM_VAL;
  const auto key = std::string(type == t::s8 ? "s8 " : "f32 ") + std::to_string(rows) + "x" + std::to_string(in) + "x" +
                   std::to_string(out) + (bias ? "b" : "");
  std::lock_guard<std::mutex> guard(lock);
  auto found = kernels.find(key);
  if (found == kernels.end()) {
    const auto pd = describe(type, rows, in, out, bias, type == t::f32 ? f32_weights() : f::any);
    found = kernels.emplace(key, Kernel{dnnl::matmul(pd), pd.weights_desc()}).first;
  }
  return found->second;
}

// Wraps a contiguous tensor's data as oneDNN memory of `desc` (no copy).
memory view(const memory::desc& desc, const at::Tensor& tensor) {
  return memory(desc, cpu(), const_cast<void*>(tensor.data_ptr()));
}

}  // namespace

struct Weights {
  memory packed;
  at::Tensor scales;  // int8: [out] f32, the weight's per-row scales; f32: undefined
  int64_t in, out;
  t type;
  at::Tensor aliased;  // the weight itself, when `packed` reads it in place (see packed)
  std::unique_ptr<int8_avx2::Weights> own;  // int8 on the project's kernel instead of `packed`
};

bool available() { return true; }

double weight_divisor() {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const bool vnni = (isa & dnnl_cpu_isa_avx512_core_vnni & ~dnnl_cpu_isa_avx512_core) != 0 ||
                    (isa & dnnl_cpu_isa_avx2_vnni & ~dnnl_cpu_isa_avx2) != 0;
  return vnni ? 127.5 : 63.5;
}

namespace {

// `weight` [out, in] row-major is the kernel's [in, out] with its dimensions swapped (format ba).
// Where the f32 kernel reads the plain layout itself (oneDNN's gemm path on CPUs without AVX-512
// picks it), the packed weight is `weight`'s own memory, kept alive here, instead of a second copy.
// int8 weights are always reordered: the reorder also writes the s8 compensation the kernel reads.
std::shared_ptr<Weights> packed(t type, const at::Tensor& weight, const at::Tensor& scales) {
  const int64_t out = weight.size(0), in = weight.size(1);
  const auto layout = kernel(type, 1, in, out, false).weights;
  const memory::desc plain_desc({in, out}, type, f::ba);
  if (type == t::f32 && layout == plain_desc) {
    return std::make_shared<Weights>(Weights{view(layout, weight), scales, in, out, type, weight});
  }
  auto w = std::make_shared<Weights>(Weights{memory(layout, cpu()), scales, in, out, type, at::Tensor()});
  auto plain = view(plain_desc, weight);
  dnnl::stream stream(cpu());
  dnnl::reorder(plain, w->packed).execute(stream, plain, w->packed);
  stream.wait();
  return w;
}

// Below this many multiply-adds a product runs on the calling thread alone (see run).
constexpr int64_t kMacsPerWorker = int64_t{1} << 20;

// While it lives, OpenMP regions started from this thread run on it alone when `on`; the thread
// count is restored however the scope ends.
struct AloneIf {
  explicit AloneIf(bool on) : threads(on ? omp_get_max_threads() : 0) {
    if (threads > 0) omp_set_num_threads(1);
  }
  ~AloneIf() {
    if (threads > 0) omp_set_num_threads(threads);
  }
  AloneIf(const AloneIf&) = delete;
  AloneIf& operator=(const AloneIf&) = delete;
  const int threads;  // to restore; 0 when nothing was changed
};

// Runs kernel `k` on x, w's packed weight, y, and the post-ops' operands in order.
void run(const Kernel& k, const Weights& w, const at::Tensor& x, const at::Tensor& y, std::vector<at::Tensor> operands) {
  const int64_t rows = x.size(0);
  dnnl::stream stream(cpu());
  memory packed = w.packed, weights = w.packed;  // handles: copies share the data
  if (!(k.weights == packed.get_desc())) {  // never seen with oneDNN 2.6: the layout is the same for any rows
    weights = memory(k.weights, cpu());
    dnnl::reorder(packed, weights).execute(stream, packed, weights);
  }
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC, view(memory::desc({rows, w.in}, w.type, f::ab), x)},
      {DNNL_ARG_WEIGHTS, weights},
      {DNNL_ARG_DST, view(memory::desc({rows, w.out}, t::f32, f::ab), y)},
  };
  for (size_t i = 0; i < operands.size(); i++) {
    args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(static_cast<int>(i)) | DNNL_ARG_SRC_1,
                 view(memory::desc({1, w.out}, t::f32, f::ab), operands[i]));
  }
  // A small product is done before a sleeping OpenMP worker wakes (a 1 x 256 x 256 product took
  // 12 us on this thread and 59 us with two), so it runs here alone. oneDNN reads the thread
  // count of the calling thread when it executes.
  const AloneIf alone(rows * w.in * w.out < kMacsPerWorker);
  k.matmul.execute(stream, args);
  stream.wait();
}

}  // namespace

// Whether int8 weights run on the project's kernel: the CPU has AVX2 but not VNNI, so the weights lie
// in [-64, 64] (weight_divisor) and oneDNN would take its gemm:jit path.
bool own_int8() {
  static const bool own = int8_avx2::available() && weight_divisor() < 100;
  return own;
}

std::shared_ptr<Weights> pack(const at::Tensor& integers, const at::Tensor& scales) {
  if (own_int8()) {
    auto w = std::make_shared<Weights>(Weights{memory(), scales.contiguous(), integers.size(1), integers.size(0), t::s8,
                                               at::Tensor(), nullptr});
    w->own = std::make_unique<int8_avx2::Weights>(int8_avx2::pack(integers));
    return w;
  }
  return packed(t::s8, integers, scales.contiguous());
}

std::shared_ptr<Weights> pack_f32(const at::Tensor& weight) { return packed(t::f32, weight, at::Tensor()); }

at::Tensor linear(const at::Tensor& x, const Weights& w, const at::Tensor& bias) {
  const int64_t rows = x.size(0), n = x.numel();
  auto y = at::empty({rows, w.out}, x.options());
  if (w.type == t::f32) {
    const auto& k = kernel(t::f32, rows, w.in, w.out, bias.defined());
    run(k, w, x, y, bias.defined() ? std::vector<at::Tensor>{bias} : std::vector<at::Tensor>{});
    return y;
  }
  const float* src = x.data_ptr<float>();
  // One pass for the scale, and for the check that every activation is finite: on the bit patterns
  // without their sign, which order as the magnitudes do, NaN and infinity above every finite value.
  // Integer compares vectorize where float max does not (it must keep NaN), and this pass and the
  // next took longer than the product itself before (0.45 ms of a 96 x 1024 call, with nearbyint).
  uint32_t top = 0;
  for (int64_t i = 0; i < n; i++) {
    uint32_t bits;
    std::memcpy(&bits, &src[i], sizeof bits);
    bits &= 0x7fffffffu;
    top = bits > top ? bits : top;
  }
  TORCH_CHECK(top < 0x7f800000u, "x holds NaN or infinite values");
  float largest;
  std::memcpy(&largest, &top, sizeof largest);
  // Below 127 times the smallest normal float the scale's inverse would overflow (and 0 · inf is NaN).
  const float scale = largest >= 127.0f * std::numeric_limits<float>::min() ? largest / 127.0f : 1.0f;
  const float inverse = 1.0f / scale;
  if (w.own) {
    // The output columns' scales for this call, as below: the activations' scale times each row's.
    std::vector<float> column_scales(static_cast<size_t>(w.out));
    const float* rows_scales = w.scales.data_ptr<float>();
    for (int64_t c = 0; c < w.out; c++) column_scales[static_cast<size_t>(c)] = rows_scales[c] * scale;
    return int8_avx2::linear(x, inverse, *w.own, column_scales.data(), bias);
  }
  auto quantized = at::empty({rows, w.in}, x.options().dtype(at::kChar));
  auto* q = quantized.data_ptr<int8_t>();
  // Adding and taking away 1.5 * 2^23 rounds a float below 2^22 in magnitude to an integer, half to
  // even, as nearbyint does in the default rounding mode, in plain vector adds; |src * inverse| <= 127.
  constexpr float kRound = 12582912.0f;
  for (int64_t i = 0; i < n; i++) {
    const float scaled = src[i] * inverse;
    q[i] = static_cast<int8_t>(static_cast<int32_t>((scaled + kRound) - kRound));
  }
  // The output columns' scales for this call: the activations' scale times each weight row's.
  const auto column_scales = w.scales * scale;
  const auto& k = kernel(t::s8, rows, w.in, w.out, bias.defined());
  run(k, w, quantized, y, bias.defined() ? std::vector<at::Tensor>{column_scales, bias}
                                         : std::vector<at::Tensor>{column_scales});
  return y;
}

#else  // no oneDNN headers at build time

struct Weights {};

bool available() { return false; }

double weight_divisor() { return 127.5; }

std::shared_ptr<Weights> pack(const at::Tensor&, const at::Tensor&) {
  TORCH_CHECK(false, "this build has no dnnl engine (oneDNN's headers were not found when it was built)");
}

std::shared_ptr<Weights> pack_f32(const at::Tensor&) {
  TORCH_CHECK(false, "this build has no dnnl engine (oneDNN's headers were not found when it was built)");
}

at::Tensor linear(const at::Tensor&, const Weights&, const at::Tensor&) {
  TORCH_CHECK(false, "this build has no dnnl engine (oneDNN's headers were not found when it was built)");
}

#endif

}  // namespace dt::dnnl_int8
