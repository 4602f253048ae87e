/**
 * Convolutions, pooling and resampling over [batch, channels, ...spatial] tensors (or unbatched
 * [channels, ...spatial] ones, as PyTorch's functional ops take them). The batch and channel
 * dimensions are typed; the spatial sizes of a result are `number`. Every integer argument (kernel
 * sizes, strides, paddings, dilations, groups) is checked here, with a `RangeError` naming it,
 * before native code sees it.
 *
 * @module
 */
import { DTypeError, ShapeError } from "../errors.ts";
import { fail, sym } from "../../ffi/lib.ts";
import { isFloat } from "../dtype.ts";
import {
  type Check,
  type Dim,
  type Fmt,
  type FormatShape,
  formatShape,
  type SameDim,
  type Shape,
  type Tuple,
} from "../shape.ts";
import { handleOf, type Tensor, wrap, wrapAll } from "../tensor.ts";
import { sameDevice } from "./check.ts";
import { dimsArg, int32Arg, pairOut } from "../scratch.ts";

// ---- shape types ----

/** `K` spatial sizes, unknown to the type checker. */
export type SpatialDims<K extends number> = K extends 1 ? [number] : K extends 2 ? [number, number]
: [number, number, number];

/** The names of `K` spatial dimensions, for messages. */
export type SpatialNames<K extends number> = K extends 1 ? "length"
  : K extends 2 ? "height, width"
  : "depth, height, width";

/** Whether `D` is the literal 1 (not `number`, not another size). */
export type IsOne<D> = [D] extends [1] ? ([1] extends [D] ? true : false) : false;

/**
 * The result of a convolution over `K` spatial dims: x [N, C, ...] with weight [out, C/groups, ...k]
 * gives [N, out, ...]; unbatched x [C, ...] gives [out, ...]. A channel count that is not the
 * weight's input channels times the groups is an error message (see `ChannelsFit` for when it is
 * decided at compile time).
 */
export type ConvOrError<Op extends string, K extends number, X extends Shape, W extends Shape, G> = number extends
  X["length"] ? Shape
  : number extends W["length"] ? Shape
  : W extends readonly [infer Out extends Dim, infer In, ...infer Kernel]
    ? Kernel["length"] extends K ? ConvInput<Op, K, X, In, G, Out, "[out, in/groups, ...kernel]">
    : `${Op}: the weight must be [out, in/groups, ${SpatialNames<K>}], got ${FormatShape<W>}`
  : `${Op}: the weight must be [out, in/groups, ${SpatialNames<K>}], got ${FormatShape<W>}`;

/** x against the weight's input channels `In`: the result with `Out` channels, or a message (`L`: the weight's layout). */
export type ConvInput<Op extends string, K extends number, X extends Shape, In, G, Out extends Dim, L extends string> =
  X extends readonly [infer N extends Dim, infer C, ...infer S]
    ? S["length"] extends K ? ChannelsFit<Op, C, In, G, [N, Out, ...SpatialDims<K>], L>
    : X extends readonly [infer C1, ...infer S1]
      ? S1["length"] extends K ? ChannelsFit<Op, C1, In, G, [Out, ...SpatialDims<K>], L>
      : BadInput<Op, K, X>
    : BadInput<Op, K, X>
    : BadInput<Op, K, X>;

/**
 * `R` when x's `C` channels fit the weight's `In` input channels per group: C = In with groups 1
 * (sizes or names), C = In · G for other literal groups (checked when all three are literal whole
 * numbers below 1000, so that the tuple arithmetic stays cheap); else a message.
 */
export type ChannelsFit<Op extends string, C, In, G, R, L extends string> = IsOne<G> extends true
  ? SameDim<C, In> extends true ? R : `${Op}: x has ${Fmt<C>} channels, the weight takes ${Fmt<In>} (weight is ${L})`
  : [SmallCount<C>, SmallCount<In>, SmallCount<G>] extends [true, true, true]
    ? IsProduct<Tuple<C & number>, Tuple<In & number>, G & number> extends true ? R
    : `${Op}: x has ${Fmt<C>} channels, the weight takes ${Fmt<In>} × groups ${Fmt<G>} (weight is ${L})`
  : R;

/** Whether `N` is a literal whole number below 1000, small enough for `IsProduct`'s tuples. */
export type SmallCount<N> = number extends N ? false
  : N extends number ? `${N}` extends `-${string}` | `${string}.${string}` | `${string}e${string}` ? false
    : `${N}` extends `${infer _A}${infer _B}${infer _C}${infer D}` ? (D extends "" ? true : false)
    : true
  : false;

/** Whether the tuple `Rest` is `G` copies of `Part` (its length the product): `Part` taken off `G` times. */
export type IsProduct<Rest extends unknown[], Part extends unknown[], G extends number, Count extends unknown[] = []> =
  Count["length"] extends G ? (Rest extends [] ? true : false)
    : Rest extends [...Part, ...infer More] ? IsProduct<More, Part, G, [...Count, unknown]>
    : false;

/** The message for an x whose rank does not fit `K` spatial dims. */
export type BadInput<Op extends string, K extends number, X extends Shape> =
  `${Op}: x must be [batch, channels, ${SpatialNames<K>}] or [channels, ${SpatialNames<K>}], got ${FormatShape<X>}`;

/** The shape `conv1d/2d/3d` returns (`Shape` when the operands do not fit). */
export type Conv<Op extends string, K extends number, X extends Shape, W extends Shape, G> =
  ConvOrError<Op, K, X, W, G> extends infer R extends Shape ? R : Shape;

/**
 * A transposed convolution: x [N, C, ...] with weight [C, out/groups, ...k] gives [N, out, ...] (out
 * is the weight's second size with groups 1, else unknown); C must be the weight's first size.
 */
export type ConvTransposeOrError<Op extends string, K extends number, X extends Shape, W extends Shape, G> =
  number extends X["length"] ? Shape
    : number extends W["length"] ? Shape
    : W extends readonly [infer In, infer Out extends Dim, ...infer Kernel]
      ? Kernel["length"] extends K
        ? ConvInput<Op, K, X, In, 1, IsOne<G> extends true ? Out : number, "[in, out/groups, ...kernel]">
      : `${Op}: the weight must be [in, out/groups, ${SpatialNames<K>}], got ${FormatShape<W>}`
    : `${Op}: the weight must be [in, out/groups, ${SpatialNames<K>}], got ${FormatShape<W>}`;

/** The shape `convTranspose1d/2d` returns (`Shape` when the operands do not fit). */
export type ConvTranspose<Op extends string, K extends number, X extends Shape, W extends Shape, G> =
  ConvTransposeOrError<Op, K, X, W, G> extends infer R extends Shape ? R : Shape;

/** A pooled or resampled x: its batch and channel dims kept, `K` spatial sizes unknown; or a message. */
export type PoolOrError<Op extends string, K extends number, X extends Shape> = number extends X["length"] ? Shape
  : X extends readonly [infer N extends Dim, infer C extends Dim, ...infer S]
    ? S["length"] extends K ? [N, C, ...SpatialDims<K>]
    : X extends readonly [infer C1 extends Dim, ...infer S1]
      ? S1["length"] extends K ? [C1, ...SpatialDims<K>] : PoolBad<Op, K, X>
    : PoolBad<Op, K, X>
  : X extends readonly [infer C1 extends Dim, ...infer S1]
    ? S1["length"] extends K ? [C1, ...SpatialDims<K>] : PoolBad<Op, K, X>
  : PoolBad<Op, K, X>;
/** The message for a pooled x whose rank does not fit `K` spatial dims (as for a convolution's x). */
export type PoolBad<Op extends string, K extends number, X extends Shape> = BadInput<Op, K, X>;

/** The shape a pooling op returns for x of shape `X` (`Shape` when its rank does not fit). */
export type Pooled<Op extends string, K extends number, X extends Shape> = PoolOrError<Op, K, X> extends
  infer R extends Shape ? R : Shape;

// ---- argument checks ----

/** A size that is one number for every spatial dim, or one per dim. */
export type PerDim = number | readonly number[];

/**
 * `value` as `n` integers, each at least `min` (and in int32's range): one number for every spatial
 * dim or a list of `n`. A `RangeError` naming `name` and `op` otherwise.
 */
function perDim(value: PerDim, n: number, name: string, op: string, min: number): number[] {
  if (!Array.isArray(value) && typeof value !== "number") {
    throw new RangeError(`${op}: ${name} must be a number or a list of ${n} numbers, got ${String(value)}`);
  }
  const list = typeof value === "number" ? Array.from({ length: n }, () => value) : [...value];
  if (list.length !== n) throw new RangeError(`${op}: ${name} must have ${n} entries, got [${list.join(", ")}]`);
  const got = typeof value === "number" ? String(value) : `[${list.join(", ")}]`;
  for (const v of list) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${op}: ${name} must be integers ≥ ${min}, got ${got}`);
    if (v > 2 ** 31 - 1) throw new RangeError(`${op}: ${name} must be at most 2^31 - 1, got ${got}`);
  }
  return list;
}

function floatInput(x: Tensor, op: string): void {
  if (!isFloat(x.dtype)) throw new DTypeError(op, `x must be floating point, got ${x.dtype}`);
}

/** Checks x is [N, C, ...spatial] or [C, ...spatial] with `k` spatial dims; returns whether it is batched. */
function spatialInput(x: Tensor, k: number, op: string): boolean {
  if (x.rank !== k + 1 && x.rank !== k + 2) {
    const dims = ["length", "height, width", "depth, height, width"][k - 1];
    throw new ShapeError(
      op,
      `x must be [batch, channels, ${dims}] or [channels, ${dims}], got ${formatShape(x.shape)}`,
    );
  }
  return x.rank === k + 2;
}

/** The output size of a sliding window (conv and pool arithmetic); `ceil` rounds up, as ceilMode does. */
function windows(
  size: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation: number,
  ceil = false,
): number {
  const span = size + 2 * padding - dilation * (kernel - 1) - 1;
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  // ceilMode: the last window must start inside the input or its left padding.
  if (ceil && (out - 1) * stride >= size + padding) out--;
  return out;
}

/** Throws unless every spatial output size is at least 1. */
function checkWindows(op: string, x: Tensor, outs: number[], what: string): void {
  if (outs.some((o) => o < 1)) {
    throw new ShapeError(
      op,
      `x ${formatShape(x.shape)} is too small for ${what}: the output would be [${outs.join(", ")}]`,
    );
  }
}

// ---- convolution ----

/** Options of `conv1d`, `conv2d` and `conv3d`. */
export interface ConvOptions<G extends number = number> {
  /** Step of the window, one number or one per spatial dim; default 1. */
  stride?: PerDim;
  /**
   * Zeros added on both sides of each spatial dim (one number or one per dim), or "same" (output size
   * equals input size; stride 1 only; an odd extra zero goes on the right, as in PyTorch) or "valid"
   * (no padding). Default 0.
   */
  padding?: PerDim | "same" | "valid";
  /** Spacing between kernel taps; default 1. */
  dilation?: PerDim;
  /** Input and output channels are split into this many groups; each must divide both. Default 1. */
  groups?: G;
}

const PADDING_MODES = { same: 1, valid: 2 } as const;

function convN(
  op: string,
  k: number,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  options: ConvOptions,
): Tensor {
  const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  const batched = spatialInput(x, k, op);
  floatInput(x, op);
  const kernelDims = ["length", "height, width", "depth, height, width"][k - 1];
  if (weight.rank !== k + 2) {
    throw new ShapeError(op, `weight must be [out, in/groups, ${kernelDims}], got ${formatShape(weight.shape)}`);
  }
  const g = int32Arg(groups, "groups", op);
  if (g < 1) throw new RangeError(`${op}: groups must be an integer ≥ 1, got ${groups}`);
  const channels = x.shape[batched ? 1 : 0];
  const [out, inPerGroup] = weight.shape;
  if (channels !== inPerGroup * g) {
    throw new ShapeError(
      op,
      `x has ${channels} channels, the weight ${formatShape(weight.shape)} takes ${inPerGroup} × groups ${g} = ${
        inPerGroup * g
      } (weight is [out, in/groups, ${kernelDims}])`,
    );
  }
  if (out % g !== 0) throw new ShapeError(op, `groups ${g} must divide the weight's ${out} output channels`);
  const s = perDim(stride, k, "stride", op, 1);
  const d = perDim(dilation, k, "dilation", op, 1);
  const mode = typeof padding === "string" ? PADDING_MODES[padding] : 0;
  if (mode === undefined) throw new RangeError(`${op}: padding must be numbers, "same" or "valid", got ${padding}`);
  if (mode === 1 && s.some((v) => v !== 1)) {
    throw new RangeError(`${op}: padding "same" needs stride 1, got stride [${s.join(", ")}]`);
  }
  const p = mode === 0 ? perDim(padding as PerDim, k, "padding", op, 0) : Array.from({ length: k }, () => 0);
  checkBias(op, bias, out, x);
  checkOperand(op, x, weight, "weight");
  const spatial = x.shape.slice(-k);
  if (mode !== 1) {
    const kernel = weight.shape.slice(2);
    checkWindows(
      op,
      x,
      spatial.map((n, i) => windows(n, kernel[i], s[i], p[i], d[i])),
      `kernel ${formatShape(kernel)}`,
    );
  }
  return wrap(
    sym.dt_conv(
      handleOf(x, op),
      handleOf(weight, op),
      bias ? handleOf(bias, op) : null,
      dimsArg([...s, ...p, ...d], op),
      k,
      g,
      mode,
    ),
    op,
  );
}

/** The weight (or bias) must share x's dtype and device. */
function checkOperand(op: string, x: Tensor, t: Tensor, name: string): void {
  if (t.dtype !== x.dtype) throw new DTypeError(op, `${name} must have x's dtype ${x.dtype}, got ${t.dtype}`);
  sameDevice(x, t, op);
}

function checkBias(op: string, bias: Tensor | undefined, out: number, x: Tensor): void {
  if (!bias) return;
  if (bias.rank !== 1 || bias.shape[0] !== out) {
    throw new ShapeError(op, `bias must be [${out}] (one per output channel), got ${formatShape(bias.shape)}`);
  }
  checkOperand(op, x, bias, "bias");
}

/**
 * 1-D convolution (cross-correlation, as torch.nn.functional.conv1d) of x [batch, in, length] (or
 * [in, length]) with weight [out, in/groups, kernel] and an optional bias [out]: [batch, out, length'].
 *
 * @example
 * ```ts
 * const y = conv1d(randn([2, 3, 10], rng(0)), randn([4, 3, 5], rng(1)), undefined, { padding: 2 }); // [2, 4, 10]
 * ```
 */
export function conv1d<X extends Shape, W extends Shape, const G extends number = 1>(
  x: Tensor<X>,
  weight: Tensor<W> & Check<ConvOrError<"conv1d", 1, X, W, G>>,
  bias?: Tensor,
  options: ConvOptions<G> = {},
): Tensor<Conv<"conv1d", 1, X, W, G>> {
  return convN("conv1d", 1, x, weight, bias, options) as Tensor<Conv<"conv1d", 1, X, W, G>>;
}

/**
 * 2-D convolution (torch.nn.functional.conv2d) of x [batch, in, h, w] (or [in, h, w]) with weight
 * [out, in/groups, kh, kw] and an optional bias [out]: [batch, out, h', w'].
 *
 * @example
 * ```ts
 * const y = conv2d(randn([1, 3, 8, 8], rng(0)), randn([16, 3, 3, 3], rng(1)), undefined, { stride: 2, padding: 1 }); // [1, 16, 4, 4]
 * ```
 */
export function conv2d<X extends Shape, W extends Shape, const G extends number = 1>(
  x: Tensor<X>,
  weight: Tensor<W> & Check<ConvOrError<"conv2d", 2, X, W, G>>,
  bias?: Tensor,
  options: ConvOptions<G> = {},
): Tensor<Conv<"conv2d", 2, X, W, G>> {
  return convN("conv2d", 2, x, weight, bias, options) as Tensor<Conv<"conv2d", 2, X, W, G>>;
}

/**
 * 3-D convolution (torch.nn.functional.conv3d) of x [batch, in, d, h, w] (or [in, d, h, w]) with
 * weight [out, in/groups, kd, kh, kw] and an optional bias [out]: [batch, out, d', h', w'].
 *
 * @example
 * ```ts
 * const y = conv3d(randn([1, 2, 4, 4, 4], rng(0)), randn([3, 2, 3, 3, 3], rng(1)), undefined, { padding: "same" }); // [1, 3, 4, 4, 4]
 * ```
 */
export function conv3d<X extends Shape, W extends Shape, const G extends number = 1>(
  x: Tensor<X>,
  weight: Tensor<W> & Check<ConvOrError<"conv3d", 3, X, W, G>>,
  bias?: Tensor,
  options: ConvOptions<G> = {},
): Tensor<Conv<"conv3d", 3, X, W, G>> {
  return convN("conv3d", 3, x, weight, bias, options) as Tensor<Conv<"conv3d", 3, X, W, G>>;
}

/** Options of `convTranspose1d` and `convTranspose2d`. */
export interface ConvTransposeOptions<G extends number = number> {
  /** Step of the (forward) window; default 1. */
  stride?: PerDim;
  /** The forward convolution's padding: dilation·(kernel−1) − padding zeros are added; default 0. */
  padding?: PerDim;
  /** Extra size added to one side of each output dim (less than stride or dilation); default 0. */
  outputPadding?: PerDim;
  /** Spacing between kernel taps; default 1. */
  dilation?: PerDim;
  /** Channel groups; must divide the input channels. Default 1. */
  groups?: G;
}

function convTransposeN(
  op: string,
  k: number,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  options: ConvTransposeOptions,
): Tensor {
  const { stride = 1, padding = 0, outputPadding = 0, dilation = 1, groups = 1 } = options;
  const batched = spatialInput(x, k, op);
  floatInput(x, op);
  const kernelDims = ["length", "height, width"][k - 1];
  if (weight.rank !== k + 2) {
    throw new ShapeError(op, `weight must be [in, out/groups, ${kernelDims}], got ${formatShape(weight.shape)}`);
  }
  const g = int32Arg(groups, "groups", op);
  if (g < 1) throw new RangeError(`${op}: groups must be an integer ≥ 1, got ${groups}`);
  const channels = x.shape[batched ? 1 : 0];
  if (channels !== weight.shape[0]) {
    throw new ShapeError(
      op,
      `x has ${channels} channels, the weight ${formatShape(weight.shape)} takes ${
        weight.shape[0]
      } (weight is [in, out/groups, ${kernelDims}])`,
    );
  }
  if (channels % g !== 0) throw new ShapeError(op, `groups ${g} must divide x's ${channels} channels`);
  const s = perDim(stride, k, "stride", op, 1);
  const p = perDim(padding, k, "padding", op, 0);
  const op_ = perDim(outputPadding, k, "outputPadding", op, 0);
  const d = perDim(dilation, k, "dilation", op, 1);
  op_.forEach((v, i) => {
    if (v >= s[i] && v >= d[i]) {
      throw new RangeError(
        `${op}: outputPadding must be smaller than stride or dilation, got outputPadding ${formatShape(op_)}, stride ${
          formatShape(s)
        }, dilation ${formatShape(d)}`,
      );
    }
  });
  checkBias(op, bias, weight.shape[1] * g, x);
  checkOperand(op, x, weight, "weight");
  const kernel = weight.shape.slice(2);
  const outs = x.shape.slice(-k).map((n, i) => (n - 1) * s[i] - 2 * p[i] + d[i] * (kernel[i] - 1) + op_[i] + 1);
  checkWindows(op, x, outs, `padding ${formatShape(p)} with kernel ${formatShape(kernel)}`);
  return wrap(
    sym.dt_conv_transpose(
      handleOf(x, op),
      handleOf(weight, op),
      bias ? handleOf(bias, op) : null,
      dimsArg([...s, ...p, ...op_, ...d], op),
      k,
      g,
    ),
    op,
  );
}

/**
 * 1-D transposed convolution (torch.nn.functional.conv_transpose1d) of x [batch, in, length] with
 * weight [in, out/groups, kernel]: [batch, out, (length−1)·stride − 2·padding + dilation·(kernel−1) + outputPadding + 1].
 *
 * @example
 * ```ts
 * const y = convTranspose1d(randn([2, 4, 5], rng(0)), randn([4, 3, 2], rng(1)), undefined, { stride: 2 }); // [2, 3, 10]
 * ```
 */
export function convTranspose1d<X extends Shape, W extends Shape, const G extends number = 1>(
  x: Tensor<X>,
  weight: Tensor<W> & Check<ConvTransposeOrError<"convTranspose1d", 1, X, W, G>>,
  bias?: Tensor,
  options: ConvTransposeOptions<G> = {},
): Tensor<ConvTranspose<"convTranspose1d", 1, X, W, G>> {
  return convTransposeN("convTranspose1d", 1, x, weight, bias, options) as Tensor<
    ConvTranspose<"convTranspose1d", 1, X, W, G>
  >;
}

/**
 * 2-D transposed convolution (torch.nn.functional.conv_transpose2d) of x [batch, in, h, w] with
 * weight [in, out/groups, kh, kw]: [batch, out, h', w'] (the inverse shape arithmetic of conv2d).
 *
 * @example
 * ```ts
 * const up = convTranspose2d(randn([1, 8, 4, 4], rng(0)), randn([8, 3, 2, 2], rng(1)), undefined, { stride: 2 }); // [1, 3, 8, 8]
 * ```
 */
export function convTranspose2d<X extends Shape, W extends Shape, const G extends number = 1>(
  x: Tensor<X>,
  weight: Tensor<W> & Check<ConvTransposeOrError<"convTranspose2d", 2, X, W, G>>,
  bias?: Tensor,
  options: ConvTransposeOptions<G> = {},
): Tensor<ConvTranspose<"convTranspose2d", 2, X, W, G>> {
  return convTransposeN("convTranspose2d", 2, x, weight, bias, options) as Tensor<
    ConvTranspose<"convTranspose2d", 2, X, W, G>
  >;
}

// ---- pooling ----

/** Options of `maxPool1d` and `maxPool2d`. */
export interface MaxPoolOptions {
  /** The window, one number or one per spatial dim (required). */
  kernelSize: PerDim;
  /** Step of the window; default the kernel size. */
  stride?: PerDim;
  /** Implicit −∞ padding on both sides; at most half the kernel size. Default 0. */
  padding?: PerDim;
  /** Spacing between window taps; default 1. */
  dilation?: PerDim;
  /** Round the output size up (a last partial window) instead of down; default false. */
  ceilMode?: boolean;
}

/** The packed kernel, stride, padding (and dilation) of a pooling op, checked. */
function poolParams(op: string, x: Tensor, k: number, o: MaxPoolOptions, dilated: boolean): number[] {
  if (o === null || typeof o !== "object") throw new TypeError(`${op}: options with a kernelSize are required`);
  spatialInput(x, k, op);
  // max pooling needs floats; average pooling also takes i64 (integer means, truncated), as in PyTorch.
  if (!isFloat(x.dtype) && (dilated || x.dtype !== "i64")) {
    throw new DTypeError(op, `x must be floating point${dilated ? "" : " or i64"}, got ${x.dtype}`);
  }
  const kernel = perDim(o.kernelSize, k, "kernelSize", op, 1);
  const s = o.stride === undefined ? kernel : perDim(o.stride, k, "stride", op, 1);
  const p = perDim(o.padding ?? 0, k, "padding", op, 0);
  const d = dilated ? perDim(o.dilation ?? 1, k, "dilation", op, 1) : kernel.map(() => 1);
  // PyTorch's rule: half the kernel itself, dilated or not.
  p.forEach((v, i) => {
    if (v > Math.floor(kernel[i] / 2)) {
      throw new RangeError(
        `${op}: padding must be at most half the kernel, got padding ${formatShape(p)} for kernel ${
          formatShape(kernel)
        }`,
      );
    }
  });
  const outs = x.shape.slice(-k).map((n, i) => windows(n, kernel[i], s[i], p[i], d[i], o.ceilMode === true));
  checkWindows(op, x, outs, `kernel ${formatShape(kernel)}`);
  return dilated ? [...kernel, ...s, ...p, ...d] : [...kernel, ...s, ...p];
}

function maxPoolN(op: string, k: number, x: Tensor, o: MaxPoolOptions): Tensor {
  const params = poolParams(op, x, k, o, true);
  return wrap(sym.dt_max_pool(handleOf(x, op), dimsArg(params, op), k, o.ceilMode ? 1 : 0), op);
}

/** Max values and their positions: i64 flat indices into each input plane, as PyTorch's return_indices gives. */
export interface PoolWithIndices<S extends Shape> {
  /** The maxima. */
  values: Tensor<S>;
  /** Their i64 positions, flat within each input plane. */
  indices: Tensor<S>;
}

function maxPoolWithIndicesN(op: string, k: number, x: Tensor, o: MaxPoolOptions): PoolWithIndices<Shape> {
  const params = poolParams(op, x, k, o, true);
  const status = sym.dt_max_pool_with_indices(handleOf(x, op), dimsArg(params, op), k, o.ceilMode ? 1 : 0, pairOut);
  if (status !== 0) fail(op);
  const [values, indices] = wrapAll(pairOut, op);
  return { values, indices };
}

/**
 * 1-D max pooling (torch.nn.functional.max_pool1d) over the last dim of x [batch, channels, length]
 * or [channels, length].
 *
 * @example
 * ```ts
 * const y = maxPool1d(randn([2, 3, 8], rng(0)), { kernelSize: 2 }); // [2, 3, 4]
 * ```
 */
export function maxPool1d<X extends Shape>(
  x: Tensor<X> & Check<PoolOrError<"maxPool1d", 1, X>>,
  options: MaxPoolOptions,
): Tensor<Pooled<"maxPool1d", 1, X>> {
  return maxPoolN("maxPool1d", 1, x, options) as Tensor<Pooled<"maxPool1d", 1, X>>;
}

/**
 * 2-D max pooling (torch.nn.functional.max_pool2d) over the last two dims of x [batch, channels, h, w]
 * or [channels, h, w].
 *
 * @example
 * ```ts
 * const y = maxPool2d(randn([1, 3, 8, 8], rng(0)), { kernelSize: 2 }); // [1, 3, 4, 4]
 * ```
 */
export function maxPool2d<X extends Shape>(
  x: Tensor<X> & Check<PoolOrError<"maxPool2d", 2, X>>,
  options: MaxPoolOptions,
): Tensor<Pooled<"maxPool2d", 2, X>> {
  return maxPoolN("maxPool2d", 2, x, options) as Tensor<Pooled<"maxPool2d", 2, X>>;
}

/**
 * `maxPool1d` that also returns where each maximum came from (i64, flat within each input row).
 *
 * @example
 * ```ts
 * const { values, indices } = maxPool1dWithIndices(randn([1, 2, 6], rng(0)), { kernelSize: 3 }); // both [1, 2, 2]
 * ```
 */
export function maxPool1dWithIndices<X extends Shape>(
  x: Tensor<X> & Check<PoolOrError<"maxPool1dWithIndices", 1, X>>,
  options: MaxPoolOptions,
): PoolWithIndices<Pooled<"maxPool1dWithIndices", 1, X>> {
  return maxPoolWithIndicesN("maxPool1dWithIndices", 1, x, options) as PoolWithIndices<
    Pooled<"maxPool1dWithIndices", 1, X>
  >;
}

/**
 * `maxPool2d` that also returns where each maximum came from (i64, flat h·w index within each plane).
 *
 * @example
 * ```ts
 * const { values, indices } = maxPool2dWithIndices(randn([1, 3, 4, 4], rng(0)), { kernelSize: 2 }); // both [1, 3, 2, 2]
 * ```
 */
export function maxPool2dWithIndices<X extends Shape>(
  x: Tensor<X> & Check<PoolOrError<"maxPool2dWithIndices", 2, X>>,
  options: MaxPoolOptions,
): PoolWithIndices<Pooled<"maxPool2dWithIndices", 2, X>> {
  return maxPoolWithIndicesN("maxPool2dWithIndices", 2, x, options) as PoolWithIndices<
    Pooled<"maxPool2dWithIndices", 2, X>
  >;
}

/** Options of `avgPool1d` and `avgPool2d`. */
export interface AvgPoolOptions {
  /** The window, one number or one per spatial dim (required). */
  kernelSize: PerDim;
  /** Step of the window; default the kernel size. */
  stride?: PerDim;
  /** Zero padding on both sides; at most half the kernel. Default 0. */
  padding?: PerDim;
  /** Round the output size up instead of down; default false. */
  ceilMode?: boolean;
  /** Count the padding zeros in each window's divisor; default true (as PyTorch). */
  countIncludePad?: boolean;
}

function avgPoolN(op: string, k: number, x: Tensor, o: AvgPoolOptions): Tensor {
  const params = poolParams(op, x, k, o, false);
  const include = o.countIncludePad === false ? 0 : 1;
  return wrap(sym.dt_avg_pool(handleOf(x, op), dimsArg(params, op), k, o.ceilMode ? 1 : 0, include), op);
}

/**
 * 1-D average pooling (torch.nn.functional.avg_pool1d) over the last dim of x [batch, channels, length]
 * or [channels, length].
 *
 * @example
 * ```ts
 * const y = avgPool1d(randn([2, 3, 8], rng(0)), { kernelSize: 4, stride: 2 }); // [2, 3, 3]
 * ```
 */
export function avgPool1d<X extends Shape>(
  x: Tensor<X> & Check<PoolOrError<"avgPool1d", 1, X>>,
  options: AvgPoolOptions,
): Tensor<Pooled<"avgPool1d", 1, X>> {
  return avgPoolN("avgPool1d", 1, x, options) as Tensor<Pooled<"avgPool1d", 1, X>>;
}

/**
 * 2-D average pooling (torch.nn.functional.avg_pool2d) over the last two dims of x [batch, channels,
 * h, w] or [channels, h, w].
 *
 * @example
 * ```ts
 * const y = avgPool2d(randn([1, 3, 8, 8], rng(0)), { kernelSize: 2 }); // [1, 3, 4, 4]
 * ```
 */
export function avgPool2d<X extends Shape>(
  x: Tensor<X> & Check<PoolOrError<"avgPool2d", 2, X>>,
  options: AvgPoolOptions,
): Tensor<Pooled<"avgPool2d", 2, X>> {
  return avgPoolN("avgPool2d", 2, x, options) as Tensor<Pooled<"avgPool2d", 2, X>>;
}

/** `adaptiveAvgPool2d`'s result: x's leading dims (batch, channels) kept, then [H, W]. */
export type AdaptiveOut<X extends Shape, H extends Dim, W extends Dim> = Pooled<"adaptiveAvgPool2d", 2, X> extends
  infer R extends Shape
  ? number extends R["length"] ? Shape : R extends readonly [...infer Lead, number, number] ? [...Lead, H, W] : Shape
  : Shape;

/**
 * Adaptive 2-D average pooling (torch.nn.functional.adaptive_avg_pool2d): averages windows of x
 * [batch, channels, h, w] (or [channels, h, w]) chosen so the output is exactly `outputSize`
 * (one number for a square, or [h, w]).
 *
 * @example
 * ```ts
 * const pooled = adaptiveAvgPool2d(randn([2, 512, 7, 7], rng(0)), 1); // [2, 512, 1, 1]
 * ```
 */
export function adaptiveAvgPool2d<
  X extends Shape,
  const O extends number | readonly [number, number],
>(
  x: Tensor<X> & Check<PoolOrError<"adaptiveAvgPool2d", 2, X>>,
  outputSize: O,
): Tensor<
  O extends number ? AdaptiveOut<X, O, O>
    : O extends readonly [infer H extends number, infer W extends number] ? AdaptiveOut<X, H, W>
    : Shape
> {
  const op = "adaptiveAvgPool2d";
  spatialInput(x, 2, op);
  floatInput(x, op);
  const size = perDim(outputSize, 2, "outputSize", op, 0);
  if (x.shape.slice(-2).some((n) => n === 0)) {
    throw new ShapeError(op, `x ${formatShape(x.shape)} has an empty spatial dim to average over`);
  }
  return wrap(sym.dt_adaptive_avg_pool2d(handleOf(x, op), dimsArg(size, op)), op);
}

// ---- resampling ----

/** Options of `interpolate`: exactly one of `size` and `scaleFactor`. */
export interface InterpolateOptions {
  /** The output's spatial sizes, one number for all or one per spatial dim. */
  size?: PerDim;
  /** Multiplies each spatial size (the output is floor(size·factor)); one number or one per dim. */
  scaleFactor?: number | readonly number[];
  /** "nearest" (any of 1-3 spatial dims) or "bilinear" (2 spatial dims). */
  mode: "nearest" | "bilinear";
  /** Bilinear only: map the corner pixels' centres onto each other (PyTorch's align_corners). Default false. */
  alignCorners?: boolean;
}

const MODES = { nearest: 0, bilinear: 1 } as const;

/**
 * Resamples the spatial dims of x [batch, channels, ...spatial] (torch.nn.functional.interpolate,
 * modes "nearest" and "bilinear"): to `size`, or by `scaleFactor`, which like PyTorch's also sets the
 * coordinate map (source = destination / factor).
 *
 * @example
 * ```ts
 * const up = interpolate(randn([1, 3, 4, 4], rng(0)), { scaleFactor: 2, mode: "bilinear" }); // [1, 3, 8, 8]
 * ```
 */
export function interpolate<X extends Shape>(
  x: Tensor<X>,
  options: InterpolateOptions,
): Tensor<
  X extends readonly [infer N extends Dim, infer C extends Dim, ...infer S] ? [N, C, ...{ [K in keyof S]: number }]
    : Shape
> {
  const op = "interpolate";
  if (options === null || typeof options !== "object") throw new TypeError(`${op}: options with a mode are required`);
  const { size, scaleFactor, mode, alignCorners } = options;
  const code = MODES[mode];
  if (code === undefined) throw new RangeError(`${op}: mode must be "nearest" or "bilinear", got ${mode}`);
  const k = x.rank - 2;
  if (code === 1 ? k !== 2 : k < 1 || k > 3) {
    const want = code === 1 ? "[batch, channels, h, w]" : "[batch, channels, ...1 to 3 spatial dims]";
    throw new ShapeError(op, `${mode} needs x ${want}, got ${formatShape(x.shape)}`);
  }
  floatInput(x, op);
  if (alignCorners !== undefined && code !== 1) {
    throw new RangeError(`${op}: alignCorners applies to "bilinear" only, not "${mode}"`);
  }
  if ((size === undefined) === (scaleFactor === undefined)) {
    throw new RangeError(`${op}: give exactly one of size and scaleFactor`);
  }
  const spatial = x.shape.slice(2);
  let values: number[];
  let outs: number[];
  if (size !== undefined) {
    values = perDim(size, k, "size", op, 1);
    outs = values;
  } else {
    const list = typeof scaleFactor === "number" ? spatial.map(() => scaleFactor) : [...scaleFactor!];
    if (list.length !== k || list.some((f) => !Number.isFinite(f) || f <= 0 || f > 2 ** 20)) {
      throw new RangeError(
        `${op}: scaleFactor must be ${k} finite numbers > 0 (at most 2^20), got ${
          typeof scaleFactor === "number" ? scaleFactor : formatShape(list)
        }`,
      );
    }
    values = list;
    outs = spatial.map((n, i) => Math.floor(n * list[i]));
  }
  if (spatial.some((n) => n < 1) || outs.some((n) => n < 1 || n > 2 ** 31 - 1)) {
    throw new ShapeError(
      op,
      `input and output spatial sizes must be ≥ 1, got ${formatShape(spatial)} → ${formatShape(outs)}`,
    );
  }
  // The scale factors travel in the shared f64 buffer as they are (not integers, so not through dimsArg).
  const buffer = dimsArg(spatial, op);
  values.forEach((v, i) => buffer[i] = v);
  return wrap(
    sym.dt_interpolate(handleOf(x, op), buffer, k, scaleFactor !== undefined ? 1 : 0, code, alignCorners ? 1 : 0),
    op,
  );
}
