/**
 * Normalizations over [batch, channels, ...] tensors: batch, group and instance normalization, and
 * RMS normalization over trailing dimensions. Batch normalization's running statistics are explicit
 * state: passed in, and returned anew, never updated where they lie.
 *
 * @module
 */
import { DTypeError, ShapeError } from "../errors.ts";
import { fail, sym } from "../../ffi/lib.ts";
import { type DType, isFloat } from "../dtype.ts";
import { type Check, type Dim, type Fmt, formatShape, type SameDim, type Shape } from "../shape.ts";
import { handleOf, type Tensor, wrap, wrapAll } from "../tensor.ts";
import { sameDevice } from "./check.ts";
import { int32Arg } from "../scratch.ts";

/** The channel dimension (the second) of `S`, `number` when unknown. */
export type ChannelDim<S extends Shape> = S extends readonly [Dim, infer C extends Dim, ...Dim[]] ? C : number;

function floatInput(x: Tensor, op: string): void {
  if (!isFloat(x.dtype)) throw new DTypeError(op, `x must be floating point, got ${x.dtype}`);
}

function checkEps(eps: number, op: string): number {
  if (typeof eps !== "number" || !(eps >= 0) || !Number.isFinite(eps)) {
    throw new RangeError(`${op}: eps must be a finite number ≥ 0, got ${eps}`);
  }
  return eps;
}

/** An optional per-channel (or per-element) parameter: of `shape`, x's dtype and device. */
function checkParam(op: string, name: string, t: Tensor | undefined, shape: readonly number[], x: Tensor): void {
  if (!t) return;
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(
      op,
      `${name} must be ${formatShape(shape)} for x ${formatShape(x.shape)}, got ${formatShape(t.shape)}`,
    );
  }
  if (t.dtype !== x.dtype) throw new DTypeError(op, `${name} must have x's dtype ${x.dtype}, got ${t.dtype}`);
  sameDevice(x, t, op);
  handleOf(t, op);
}

function channelsOf(x: Tensor, op: string, minRank = 2): number {
  if (x.rank < minRank) {
    const extra = minRank > 2 ? ", ...spatial" : ", ...";
    throw new ShapeError(op, `x must be [batch, channels${extra}], got ${formatShape(x.shape)}`);
  }
  return x.shape[1];
}

// ---- batch norm ----

/** Batch normalization's running statistics: one mean and one (unbiased) variance per channel. */
export interface BatchNormState<C extends Dim = number> {
  /** The running mean per channel. */
  runningMean: Tensor<[C]>;
  /** The running (unbiased) variance per channel. */
  runningVar: Tensor<[C]>;
}

/** Options of `batchNorm`. */
export interface BatchNormOptions {
  /**
   * Normalize with the batch's own statistics and return running statistics updated by them (true),
   * or with the running statistics, returned unchanged (false, the default, as torch's F.batch_norm).
   */
  training?: boolean;
  /** Weight of the new batch statistics in the update: running = (1 − m)·running + m·batch. Default 0.1. */
  momentum?: number;
  /** Added to the variance inside the square root. Default 1e-5. */
  eps?: number;
}

/** What `batchNorm` returns: the normalized x and the running statistics after this call (new tensors). */
export interface BatchNormResult<S extends Shape, C extends Dim> extends BatchNormState<C> {
  /** x normalized (and scaled and shifted when weight and bias are given). */
  out: Tensor<S>;
}

/** An error message when the running statistics' size `C` is known not to be x's channel count. */
export type StateFits<S extends Shape, C> = SameDim<ChannelDim<S>, C> extends true ? S
  : `batchNorm: x has ${Fmt<ChannelDim<S>>} channels, the running statistics ${Fmt<C>}`;

const tripleOut = new BigUint64Array(3);

/**
 * Batch normalization (torch.nn.functional.batch_norm) of x [batch, channels, ...] per channel, with
 * optional affine `weight` and `bias` [channels]. In training it normalizes with the batch's mean
 * and biased variance and returns the running statistics moved towards the batch's (mean, unbiased
 * variance) by `momentum`; otherwise it normalizes with the running statistics. The state passed in
 * is never modified: `runningMean` and `runningVar` in the result are new tensors either way.
 *
 * @example
 * ```ts
 * const { out, runningMean, runningVar } = batchNorm(randn([8, 3, 4, 4], rng(0)), { runningMean: zeros([3]), runningVar: ones([3]) }, undefined, undefined, { training: true });
 * ```
 */
export function batchNorm<S extends Shape, C extends Dim = ChannelDim<S>>(
  x: Tensor<S>,
  state: BatchNormState<C> & Check<StateFits<S, C>>,
  weight?: Tensor,
  bias?: Tensor,
  options: BatchNormOptions = {},
): BatchNormResult<S, C> {
  const op = "batchNorm";
  const { training = false, momentum = 0.1, eps = 1e-5 } = options;
  if (state === null || typeof state !== "object") {
    throw new TypeError(`${op}: state must be { runningMean, runningVar }, got ${String(state)}`);
  }
  const { runningMean, runningVar } = state;
  const c = channelsOf(x, op);
  floatInput(x, op);
  for (const [name, t] of [["runningMean", runningMean], ["runningVar", runningVar]] as const) {
    if (!t || typeof t !== "object") throw new TypeError(`${op}: state.${name} must be a tensor [${c}]`);
    if (t.rank !== 1 || t.shape[0] !== c) {
      throw new ShapeError(op, `${name} must be [${c}] for x ${formatShape(x.shape)}, got ${formatShape(t.shape)}`);
    }
    if (!isFloat(t.dtype)) throw new DTypeError(op, `${name} must be floating point, got ${t.dtype}`);
    sameDevice(x, t, op);
  }
  checkParam(op, "weight", weight, [c], x);
  checkParam(op, "bias", bias, [c], x);
  if (typeof momentum !== "number" || !(momentum >= 0 && momentum <= 1)) {
    throw new RangeError(`${op}: momentum must be in [0, 1], got ${momentum}`);
  }
  checkEps(eps, op);
  if (training && x.size / Math.max(c, 1) <= 1 && x.size > 0) {
    throw new ShapeError(op, `training needs more than one value per channel, got x ${formatShape(x.shape)}`);
  }
  const status = sym.dt_batch_norm(
    handleOf(x, op),
    weight ? handleOf(weight, op) : null,
    bias ? handleOf(bias, op) : null,
    handleOf(runningMean, op),
    handleOf(runningVar, op),
    training ? 1 : 0,
    momentum,
    eps,
    tripleOut,
  );
  if (status !== 0) fail(op);
  const [out, mean, variance] = wrapAll(tripleOut, op);
  return { out: out as Tensor<S>, runningMean: mean as Tensor<[C]>, runningVar: variance as Tensor<[C]> };
}

// ---- group and instance norm ----

/**
 * Group normalization (torch.nn.functional.group_norm): the channels of x [batch, channels, ...]
 * split into `groups` groups, each normalized over its channels and spatial positions (biased
 * variance), then scaled by `weight` and shifted by `bias` [channels] per channel.
 *
 * @example
 * ```ts
 * const y = groupNorm(randn([2, 6, 4, 4], rng(0)), 3); // [2, 6, 4, 4], 3 groups of 2 channels
 * ```
 */
export function groupNorm<S extends Shape>(
  x: Tensor<S>,
  groups: number,
  weight?: Tensor,
  bias?: Tensor,
  eps = 1e-5,
): Tensor<S> {
  const op = "groupNorm";
  const c = channelsOf(x, op);
  floatInput(x, op);
  const g = int32Arg(groups, "groups", op);
  if (g < 1 || c % g !== 0) {
    throw new RangeError(`${op}: groups must be an integer ≥ 1 that divides the ${c} channels, got ${groups}`);
  }
  // F.group_norm's rule: a call whose groups hold one value between them all is refused.
  if (x.shape[0] * (c / g) * x.shape.slice(2).reduce((a, b) => a * b, 1) === 1) {
    throw new ShapeError(op, `needs more than one value per group, got x ${formatShape(x.shape)} with ${g} groups`);
  }
  checkParam(op, "weight", weight, [c], x);
  checkParam(op, "bias", bias, [c], x);
  checkEps(eps, op);
  return wrap(
    sym.dt_group_norm(handleOf(x, op), g, weight ? handleOf(weight, op) : null, bias ? handleOf(bias, op) : null, eps),
    op,
  );
}

/**
 * Instance normalization (torch.nn.functional.instance_norm with the input's own statistics): each
 * channel of each sample of x [batch, channels, ...spatial] normalized over its spatial positions,
 * then scaled by `weight` and shifted by `bias` [channels].
 *
 * @example
 * ```ts
 * const y = instanceNorm(randn([2, 3, 8, 8], rng(0))); // [2, 3, 8, 8]
 * ```
 */
export function instanceNorm<S extends Shape>(x: Tensor<S>, weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor<S> {
  const op = "instanceNorm";
  const c = channelsOf(x, op, 3);
  floatInput(x, op);
  if (x.size > 0 && x.shape.slice(2).reduce((a, b) => a * b, 1) <= 1) {
    throw new ShapeError(op, `needs more than one spatial position per channel, got x ${formatShape(x.shape)}`);
  }
  checkParam(op, "weight", weight, [c], x);
  checkParam(op, "bias", bias, [c], x);
  checkEps(eps, op);
  return wrap(
    sym.dt_instance_norm(handleOf(x, op), weight ? handleOf(weight, op) : null, bias ? handleOf(bias, op) : null, eps),
    op,
  );
}

// ---- RMS norm ----

/** Machine epsilon per float dtype: `rmsNorm`'s default eps, as torch.finfo(dtype).eps. */
const MACHINE_EPS: Partial<Record<DType, number>> = { f64: 2 ** -52, f32: 2 ** -23, f16: 2 ** -10, bf16: 2 ** -7 };

/**
 * RMS normalization over the trailing dims: x · rsqrt(mean(x², dims) + eps) · weight, the formula of
 * torch 2.x's torch.nn.functional.rms_norm (libtorch 1.13 has none; this is that composition, so
 * autograd differentiates it the same way). `normalizedShape` is read as torch reads it: the shape
 * of the trailing dims normalized over, a single number meaning [number] (the last dim's size); it
 * must equal x's trailing sizes (a ShapeError otherwise, as torch raises one). `weight` has the
 * normalized shape; `eps` defaults to torch.finfo(x.dtype).eps.
 *
 * @example
 * ```ts
 * const y = rmsNorm(randn([2, 5, 8], rng(0)), 8, ones([8])); // [2, 5, 8], each row of 8 scaled to RMS 1
 * ```
 */
export function rmsNorm<S extends Shape>(
  x: Tensor<S>,
  normalizedShape: number | readonly number[],
  weight?: Tensor,
  eps?: number,
): Tensor<S> {
  const op = "rmsNorm";
  floatInput(x, op);
  const shape = normalizedShapeOf(normalizedShape, op);
  const rank = shape.length;
  const trailing = x.shape.slice(Math.max(0, x.rank - rank));
  if (rank < 1 || rank > x.rank || shape.some((d, i) => d !== trailing[i])) {
    throw new ShapeError(
      op,
      `the normalized shape ${formatShape(shape)} must be x's trailing sizes, got x ${formatShape(x.shape)}`,
    );
  }
  checkParam(op, "weight", weight, shape, x);
  const e = checkEps(eps ?? MACHINE_EPS[x.dtype] ?? 0, op);
  return wrap(sym.dt_rms_norm(handleOf(x, op), rank, weight ? handleOf(weight, op) : null, e), op);
}

/** torch's normalized_shape: a number is [number]; anything but a number or an array is a TypeError. */
function normalizedShapeOf(normalized: number | readonly number[], op: string): readonly number[] {
  if (typeof normalized === "number") return [normalized];
  if (Array.isArray(normalized)) return normalized;
  throw new TypeError(`${op}: normalizedShape must be a size or a shape, got ${String(normalized)}`);
}

// ---- the Annotated Transformer's layer norm ----

/**
 * alpha · (x − mean) / (std + eps) + bias over the last dimension, with the unbiased std: the layer
 * norm of the Annotated Transformer (and of many models written after it), which is not torch's
 * `layerNorm` (that divides by √(var + eps), biased). The same operations in the same order as that
 * PyTorch module, in one native call, so results and gradients are bit-identical to its; `alpha` and
 * `bias` are [features] and follow torch's type promotion, as the module's parameters do.
 *
 * @example
 * ```ts
 * const y = stdLayerNorm(randn([2, 5, 8], rng(0)), ones([8]), zeros([8])); // [2, 5, 8]
 * ```
 */
export function stdLayerNorm<S extends Shape>(x: Tensor<S>, alpha: Tensor, bias: Tensor, eps = 1e-6): Tensor<S> {
  const op = "stdLayerNorm";
  floatInput(x, op);
  if (x.rank < 1) throw new ShapeError(op, `x needs a last dimension to normalize over, got ${formatShape(x.shape)}`);
  const features = x.shape[x.rank - 1];
  for (const [name, t] of [["alpha", alpha], ["bias", bias]] as const) {
    handleOf(t, op);
    if (t.rank !== 1 || t.shape[0] !== features) {
      throw new ShapeError(
        op,
        `${name} must be [${features}] for x ${formatShape(x.shape)}, got ${formatShape(t.shape)}`,
      );
    }
    floatInput(t, op);
    sameDevice(x, t, op);
  }
  checkEps(eps, op);
  return wrap(sym.dt_std_layer_norm(handleOf(x, op), handleOf(alpha, op), handleOf(bias, op), eps), op);
}
