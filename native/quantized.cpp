// Packed linear weights for inference.
//
// Dynamic int8: through libtorch's quantized engines (onednn, qnnpack) or oneDNN directly (dnnl,
// quantized_dnnl.cpp), weights are quantized once, symmetric int8 per output channel (or per tensor),
// and packed for the engine; activations are quantized on the fly at every call, as
// torch.ao.quantization.quantize_dynamic does. The packed weight travels as an ordinary i8 tensor
// handle [out, in] holding the integer weights, so scopes, the live count and trees treat it like any
// tensor. Its storage's deleter owns the engine's packed object: `dt_linear_int8` recognises a packed
// weight by that deleter and refuses any other i8 tensor, and freeing the handle frees the packed
// object with it.
//
// f32 (dt_pack_linear): the weight stays an f32 tensor with its own values, and its storage's deleter
// owns a copy packed for oneDNN's f32 kernel, which `linear` uses when no gradient is needed. ATen's
// linear hands OpenBLAS the weight unpacked, and OpenBLAS packs it again at every call: for a decoding
// step's few rows against the 22 MB output projection that packing is most of the time.
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/grad_mode.h>

#include <memory>

#include "quantized_dnnl.h"
#include "shim.h"

using dt::T;

namespace {

struct Packed {
  c10::IValue params;  // libtorch's engines: their LinearPackedParamsBase, without bias
  std::shared_ptr<dt::dnnl_int8::Weights> direct;  // the dnnl engine's packed weight instead
  at::Tensor integers;  // the int8 weights [out, in], what the handle's data points at
  at::QEngine engine;
};

void delete_packed(void* p) { delete static_cast<Packed*>(p); }

constexpr int DNNL = 2;

bool has_engine(at::QEngine engine) {
  const auto& supported = at::globalContext().supportedQEngines();
  return std::find(supported.begin(), supported.end(), engine) != supported.end();
}

// 0: onednn, 1: qnnpack (libtorch's engines), as lib/ops/quantized.ts numbers them; 2 (dnnl) is ours.
at::QEngine engine_for(int code) {
  TORCH_CHECK(code == 0 || code == 1, "engine code must be 0 (onednn), 1 (qnnpack) or 2 (dnnl), got ", code);
  const auto engine = code == 0 ? at::QEngine::ONEDNN : at::QEngine::QNNPACK;
  TORCH_CHECK(has_engine(engine), "this libtorch has no ",
              code == 0 ? "onednn" : "qnnpack", " quantized engine");
  return engine;
}

// The packed object behind a handle made by dt_quantize_linear, or an error naming what it is instead.
const Packed& packed_of(const at::Tensor& w) {
  TORCH_CHECK(w.defined() && w.has_storage(), "the weight is not a packed int8 weight (use quantizeLinear)");
  const auto& data = w.storage().data_ptr();
  TORCH_CHECK(data.get_deleter() == &delete_packed && w.storage_offset() == 0,
              "the weight is not a packed int8 weight from quantizeLinear (got shape ", w.sizes(), ")");
  const auto* p = static_cast<const Packed*>(data.get_context());
  TORCH_CHECK(w.sizes() == p->integers.sizes(), "the weight is a view of a packed weight, not the weight itself");
  return *p;
}

// A tensor viewing owner's `member` [out, in] whose storage owns `owner`: freeing the tensor runs
// `deleter` on it, and the deleter is how a packed weight is recognised later.
template <typename Owner>
at::Tensor owning(std::unique_ptr<Owner> owner, at::Tensor Owner::*member, void (*deleter)(void*)) {
  const at::Tensor& values = (*owner).*member;
  const auto sizes = values.sizes().vec();
  const auto options = values.options();
  c10::DataPtr ptr(values.data_ptr(), owner.get(), deleter, at::Device(at::kCPU));
  const auto nbytes = values.nbytes();
  owner.release();  // the DataPtr owns it from here, and frees it even if what follows throws
  at::Storage storage(at::Storage::use_byte_size_t(), nbytes, std::move(ptr), nullptr, false);
  return at::empty({0}, options).set_(storage, 0, sizes, {sizes[1], 1});
}

c10::OperatorHandle op(const char* name) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, "");
}

}  // namespace

// Quantizes w [out, in] (f32, CPU) to int8, symmetric with zero point 0 as PyTorch's weight observers
// (scale = max |w| / 127.5 per row when per_channel, over the whole matrix otherwise), and packs it
// for `engine`. The dnnl engine on a CPU without VNNI divides by 63.5 instead (ints in [-64, 64], one
// bit fewer, as torch's reduce_range takes from activations; see dnnl_int8::weight_divisor), so that
// its kernel cannot saturate. The bias stays apart, an f32 tensor of the layer's, added by
// dt_linear_int8.
DT_API T* dt_quantize_linear(T* w, int32_t engine, int32_t per_channel) {
  DT_TRY(nullptr, {
    TORCH_CHECK(engine != DNNL || dt::dnnl_int8::available(),
                "this build has no dnnl engine (oneDNN's headers were not found when it was built)");
    const auto qengine = engine == DNNL ? at::QEngine::NoQEngine : engine_for(engine);
    TORCH_CHECK(w->dim() == 2, "weight must be [out, in], got shape ", w->sizes());
    TORCH_CHECK(w->scalar_type() == at::kFloat && w->device().is_cpu(),
                "weight must be f32 on the CPU, got ", w->scalar_type(), " on ", w->device());
    TORCH_CHECK(w->numel() > 0, "weight is empty, shape ", w->sizes());
    TORCH_CHECK(at::isfinite(*w).all().item<bool>(), "weight holds NaN or infinite values");
    const auto weight = w->contiguous();
    const double eps = std::numeric_limits<float>::epsilon();
    at::Tensor scales;  // [out] as double, one value repeated when per tensor
    const double divisor = engine == DNNL ? dt::dnnl_int8::weight_divisor() : 127.5;
    if (per_channel) {
      scales = (weight.abs().amax({1}) / divisor).clamp_min(eps).to(at::kDouble);
    } else {
      const double scale = std::max(weight.abs().max().item<double>() / divisor, eps);
      scales = at::full({weight.size(0)}, scale, weight.options().dtype(at::kDouble));
    }
    const auto quantized = per_channel
                               ? at::quantize_per_channel(weight, scales, at::zeros({weight.size(0)}, at::kLong), 0, at::kQInt8)
                               : at::quantize_per_tensor(weight, scales[0].item<double>(), 0, at::kQInt8);
    std::unique_ptr<Packed> owner;
    if (engine == DNNL) {
      auto integers = quantized.int_repr().contiguous();
      auto direct = dt::dnnl_int8::pack(integers, scales.to(at::kFloat));
      owner = std::make_unique<Packed>(Packed{c10::IValue(), std::move(direct), std::move(integers), qengine});
    } else {
      at::globalContext().setQEngine(qengine);
      std::vector<c10::IValue> stack{quantized, c10::optional<at::Tensor>()};
      static const auto prepack = op("quantized::linear_prepack");
      prepack.callBoxed(&stack);
      owner = std::make_unique<Packed>(Packed{std::move(stack.at(0)), nullptr, quantized.int_repr(), qengine});
    }
    return dt::out(owning(std::move(owner), &Packed::integers, &delete_packed));
  })
}

// x [..., in] (f32, CPU) through the packed weight, plus the optional bias b [out]: [..., out], the
// activations quantized per call.
DT_API T* dt_linear_int8(T* x, T* w, T* b) {
  DT_TRY(nullptr, {
    const auto& packed = packed_of(*w);
    const auto in = packed.integers.size(1);
    TORCH_CHECK(x->dim() >= 1 && x->size(-1) == in, "x's last dimension must be ", in,
                " (the weight's in features), got shape ", x->sizes());
    TORCH_CHECK(x->scalar_type() == at::kFloat && x->device().is_cpu(),
                "x must be f32 on the CPU, got ", x->scalar_type(), " on ", x->device());
    if (b) {
      TORCH_CHECK(b->dim() == 1 && b->size(0) == packed.integers.size(0), "bias must be [", packed.integers.size(0),
                  "] for weight ", packed.integers.sizes(), ", got shape ", b->sizes());
      TORCH_CHECK(b->scalar_type() == at::kFloat && b->device().is_cpu(),
                  "bias must be f32 on the CPU, got ", b->scalar_type(), " on ", b->device());
    }
    auto sizes = x->sizes().vec();
    sizes.back() = packed.integers.size(0);
    if (x->numel() == 0) return dt::out(at::zeros(sizes, x->options()));
    const auto rows = x->reshape({-1, in}).contiguous();
    if (packed.direct) {  // the dnnl engine checks that x is finite in its own pass over it
      return dt::out(dt::dnnl_int8::linear(rows, *packed.direct, b ? b->contiguous() : at::Tensor()).view(sizes));
    }
    TORCH_CHECK(at::isfinite(*x).all().item<bool>(), "x holds NaN or infinite values");
    at::globalContext().setQEngine(packed.engine);
    // Engines quantize each call's activations with one scale: reduce_range stays off, as the VNNI and
    // ARM kernels have no 16-bit overflow to avoid.
    std::vector<c10::IValue> stack{rows, packed.params, false};
    static const auto dynamic = op("quantized::linear_dynamic");
    dynamic.callBoxed(&stack);
    auto y = stack.at(0).toTensor();
    if (b) y.add_(*b);  // in place on the fresh result: one pass, no second tensor
    return dt::out(y.view(sizes));
  })
}

// The int8 engines this build and its libtorch have, as bits: 1 onednn, 2 qnnpack, 4 dnnl.
DT_API int32_t dt_quantized_engines() {
  DT_TRY(-1, {
    return (has_engine(at::QEngine::ONEDNN) ? 1 : 0) | (has_engine(at::QEngine::QNNPACK) ? 2 : 0) |
           (dt::dnnl_int8::available() ? 4 : 0);
  })
}

namespace {

struct PackedF32 {
  std::shared_ptr<dt::dnnl_int8::Weights> direct;
  at::Tensor values;  // the weight [out, in], what the handle's data points at
};

void delete_packed_f32(void* p) { delete static_cast<PackedF32*>(p); }

// The packed copy behind w when w is a weight from dt_pack_linear itself (not a view of one).
const PackedF32* packed_f32_of(const at::Tensor& w) {
  if (!w.defined() || !w.has_storage() || w.dim() != 2) return nullptr;
  const auto& data = w.storage().data_ptr();
  if (data.get_deleter() != &delete_packed_f32 || w.storage_offset() != 0) return nullptr;
  const auto* p = static_cast<const PackedF32*>(data.get_context());
  return w.sizes() == p->values.sizes() && w.strides() == p->values.strides() ? p : nullptr;
}

}  // namespace

// A copy of w [out, in] (f32, CPU) that `linear` multiplies with oneDNN's f32 kernel on a packed copy
// when no gradient is needed; anywhere else it is the plain f32 weight it holds.
DT_API T* dt_pack_linear(T* w) {
  DT_TRY(nullptr, {
    TORCH_CHECK(dt::dnnl_int8::available(),
                "this build has no dnnl engine (oneDNN's headers were not found when it was built)");
    TORCH_CHECK(w->dim() == 2, "weight must be [out, in], got shape ", w->sizes());
    TORCH_CHECK(w->scalar_type() == at::kFloat && w->device().is_cpu(),
                "weight must be f32 on the CPU, got ", w->scalar_type(), " on ", w->device());
    TORCH_CHECK(w->numel() > 0, "weight is empty, shape ", w->sizes());
    // The weight's own values, not a copy: where oneDNN reads the plain layout, the packed weight is
    // these values too, and the model holds one copy of each weight, not two or three. So a packed
    // weight, and the weight it was packed from, must not be updated in place (an optimizer's donate).
    auto values = w->detach().contiguous();
    auto owner = std::make_unique<PackedF32>(PackedF32{dt::dnnl_int8::pack_f32(values), values});
    return dt::out(owning(std::move(owner), &PackedF32::values, &delete_packed_f32));
  })
}

// How `w` is packed for `linear`: 2 int8 (dt_quantize_linear), 1 f32 (dt_pack_linear), 0 not at all
// (a view of a packed weight included, as `linear` treats it).
DT_API int32_t dt_linear_packing(T* w) {
  DT_TRY(-1, {
    if (packed_f32_of(*w)) return 1;
    if (!w->defined() || !w->has_storage() || w->storage_offset() != 0) return 0;
    const auto& data = w->storage().data_ptr();
    if (data.get_deleter() != &delete_packed) return 0;
    return w->sizes() == static_cast<const Packed*>(data.get_context())->integers.sizes() ? 2 : 0;
  })
}

// From this many rows up, ATen's linear (OpenBLAS) beats oneDNN's f32 kernel on the packed copy: at
// 16 rows and above OpenBLAS ran the 21,897-word output projection in about half oneDNN's time (7.6
// against 15.5 ms at 96 rows, AMD Zen 3, 2 threads), while below it oneDNN won at every shape of a
// decoding step (1.6 against 1.9 ms at one row; 17 against 42 us for 256 x 256).
constexpr int64_t kPackedRowsBelow = 16;

at::Tensor dt::linear(const at::Tensor& x, const at::Tensor& w, const at::Tensor* b) {
  const auto* packed = packed_f32_of(w);
  const bool grad = at::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() || (b && b->requires_grad()));
  if (packed && !grad && x.scalar_type() == at::kFloat && x.device().is_cpu() && x.dim() >= 1 &&
      x.size(-1) == w.size(1) && x.numel() > 0 && x.numel() / x.size(-1) < kPackedRowsBelow &&
      (!b || (b->scalar_type() == at::kFloat && b->device().is_cpu() && b->dim() == 1 && b->size(0) == w.size(0)))) {
    auto sizes = x.sizes().vec();
    sizes.back() = w.size(0);
    const auto y = dt::dnnl_int8::linear(x.reshape({-1, w.size(1)}).contiguous(), *packed->direct,
                                         b ? b->contiguous() : at::Tensor());
    return y.view(sizes);
  }
  return at::linear(x, w, b ? c10::optional<at::Tensor>(*b) : c10::nullopt);  // and its errors
}
