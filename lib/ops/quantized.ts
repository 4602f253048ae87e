/**
 * Dynamic int8 linear layers for inference: the weight is quantized once (symmetric int8, one scale
 * per output row by default) and packed for an engine; each call quantizes the activations on the
 * fly, multiplies in int8 and returns f32, as PyTorch's `quantize_dynamic` does. A packed weight is an
 * i8 tensor, so `linear` (and every layer built on it) runs int8 wherever it is handed one. CPU only,
 * and not differentiable.
 *
 * The engines: libtorch's own `onednn` and `qnnpack` (`quantized::linear_dynamic`, asymmetric
 * activations, bit for bit what PyTorch computes), and `dnnl`, oneDNN's int8 matmul kernel called
 * directly, with symmetric activations and the scales and bias fused into the kernel. `dnnl` is the
 * default where the native library was built with it (`quantizedEngines()`), as it is several times
 * faster than libtorch 1.13's path into the same oneDNN. On a CPU without VNNI (AVX2, AVX-512
 * without VNNI) oneDNN adds pairs of int8 products in 16 bits, which saturates for weights beyond
 * ±64, so there `dnnl` quantizes weights to [-64, 64] (torch's reduce_range) and stays exact;
 * libtorch's `onednn` saturates there, as PyTorch's own does.
 *
 * @module
 */
import { fail, sym } from "../../ffi/lib.ts";
import { ShapeError } from "../errors.ts";
import { type Dim, formatShape, type SetDim, type Shape } from "../shape.ts";
import { handleOf, type Tensor, wrap } from "../tensor.ts";

/**
 * The int8 engines: libtorch's quantized engines built into Debian's libtorch (`onednn`, `qnnpack`;
 * fbgemm is not), and `dnnl`, oneDNN's matmul called directly by the native library.
 */
export type QuantizedEngine = "onednn" | "qnnpack" | "dnnl";

/** Options of {@link quantizeLinear}. */
export interface QuantizeOptions {
  /** The engine that packs the weight and runs the products; default: the first of dnnl, onednn, qnnpack available. */
  engine?: QuantizedEngine;
  /** One scale per output row (default true) or one for the whole matrix. */
  perChannel?: boolean;
}

const engineCodes: Record<QuantizedEngine, number> = { onednn: 0, qnnpack: 1, dnnl: 2 };
const engineBits: [QuantizedEngine, number][] = [["dnnl", 4], ["onednn", 1], ["qnnpack", 2]];

/**
 * The int8 engines this native library and its libtorch have, the default first.
 *
 * @example
 * ```ts
 * import { quantizedEngines } from "@deno-torch/torch";
 * console.log(quantizedEngines()); // e.g. ["dnnl", "onednn", "qnnpack"]
 * ```
 */
export function quantizedEngines(): QuantizedEngine[] {
  const bits = sym.dt_quantized_engines();
  if (bits < 0) fail("quantizedEngines");
  return engineBits.filter(([, bit]) => (bits & bit) !== 0).map(([name]) => name);
}

/**
 * Quantizes a linear layer's f32 `weight` [out, in] to a packed int8 weight for {@link linearInt8}
 * (and `linear`). The result is an i8 tensor of the integer weights; the engine's packed copy lives
 * with it and is freed with it. The bias stays f32.
 *
 * @example
 * ```ts
 * import { linear, linearInt8, quantizeLinear, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const w = randn([4, 3], rng(0));
 *   const packed = quantizeLinear(w); // i8 [4, 3]
 *   const y = linearInt8(randn([2, 3], rng(1)), packed); // f32 [2, 4], close to linear(x, w)
 *   const same = linear(randn([2, 3], rng(1)), packed); // linear runs int8 for a packed weight
 * });
 * ```
 */
export function quantizeLinear<Out extends Dim, In extends Dim>(
  weight: Tensor<[Out, In]>,
  options: QuantizeOptions = {},
): Tensor<[Out, In]> {
  const op = "quantizeLinear";
  const { engine = quantizedEngines()[0], perChannel = true } = options;
  if (!Object.hasOwn(engineCodes, engine ?? "")) {
    throw new RangeError(`${op}: engine must be "dnnl", "onednn" or "qnnpack", got ${JSON.stringify(engine)}`);
  }
  if (weight.rank !== 2) throw new ShapeError(op, `weight must be [out, in], got ${formatShape(weight.shape)}`);
  return wrap(sym.dt_quantize_linear(handleOf(weight, op), engineCodes[engine], perChannel ? 1 : 0), op);
}

/**
 * x [..., in] through a weight packed by {@link quantizeLinear}, plus `bias` [out]: [..., out] in
 * f32, close to `linear(x, weight, bias)` (int8 rounding of the weights and of each call's
 * activations). Any other i8 tensor is refused.
 *
 * @example
 * ```ts
 * import { linearInt8, quantizeLinear, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => linearInt8(randn([5, 3], rng(1)), quantizeLinear(randn([4, 3], rng(0))), randn([4], rng(2)))); // [5, 4]
 * ```
 */
export function linearInt8<X extends Shape, Out extends Dim, In extends Dim>(
  x: Tensor<X>,
  packed: Tensor<[Out, In]>,
  bias?: Tensor,
): Tensor<SetDim<X, -1, Out>> {
  const op = "linearInt8";
  if (packed.rank !== 2 || packed.dtype !== "i8") {
    throw new ShapeError(
      op,
      `the weight must be a packed i8 [out, in], got ${packed.dtype} ${formatShape(packed.shape)}`,
    );
  }
  if (x.rank === 0 || x.shape[x.rank - 1] !== packed.shape[1]) {
    throw new ShapeError(
      op,
      `x ${formatShape(x.shape)} does not fit weight ${formatShape(packed.shape)} (weight is [out, in])`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== packed.shape[0])) {
    throw new ShapeError(op, `bias ${formatShape(bias.shape)} does not fit weight ${formatShape(packed.shape)}`);
  }
  const b = bias ? handleOf(bias, op) : null;
  return wrap(sym.dt_linear_int8(handleOf(x, op), handleOf(packed, op), b), op);
}

/**
 * A copy of the f32 `weight` [out, in] packed for oneDNN's f32 kernel, for inference: `linear` runs
 * it on the packed copy when no gradient is needed (anywhere else it is the plain weight it holds).
 * ATen's linear hands OpenBLAS the weight unpacked, and OpenBLAS packs it again at every call, which
 * dominates a decoding step's few rows against a large output projection. Results agree with
 * `linear` on the unpacked weight to f32 rounding (another summation order), not bit for bit.
 * Needs the dnnl engine (`quantizedEngines()`).
 *
 * @example
 * ```ts
 * import { linear, noGrad, packLinear, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => noGrad(() => linear(randn([2, 3], rng(1)), packLinear(randn([4, 3], rng(0)))))); // [2, 4]
 * ```
 */
export function packLinear<Out extends Dim, In extends Dim>(weight: Tensor<[Out, In]>): Tensor<[Out, In]> {
  const op = "packLinear";
  if (weight.rank !== 2) throw new ShapeError(op, `weight must be [out, in], got ${formatShape(weight.shape)}`);
  return wrap(sym.dt_pack_linear(handleOf(weight, op)), op);
}

/**
 * How `weight` is packed for `linear`: `"int8"` by {@link quantizeLinear}, `"f32"` by {@link packLinear},
 * or `null` for a plain weight (and for a view of a packed one, which `linear` multiplies as it is).
 *
 * @example
 * ```ts
 * import { linearPacking, quantizeLinear, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const w = randn([4, 3], rng(0));
 *   console.log(linearPacking(w), linearPacking(quantizeLinear(w))); // null "int8"
 * });
 * ```
 */
export function linearPacking(weight: Tensor): "int8" | "f32" | null {
  const code = sym.dt_linear_packing(handleOf(weight, "linearPacking"));
  if (code < 0) fail("linearPacking");
  return code === 2 ? "int8" : code === 1 ? "f32" : null;
}
