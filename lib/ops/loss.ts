/**
 * Loss functions, as torch.nn.functional names them. Each takes a `reduction`: "mean" (the default)
 * gives the mean over the elements (a 0-dim tensor), "sum" their sum, "none" one loss per element.
 * Inputs and targets must share a dtype (torch would promote some pairs; here a mix is a
 * `DTypeError`, since it is usually a mistake).
 *
 * @module
 */
import { DTypeError, ShapeError } from "../errors.ts";
import { sym } from "../../ffi/lib.ts";
import { isFloat } from "../dtype.ts";
import { type Broadcast, type BroadcastCheck, formatShape, type Shape } from "../shape.ts";
import { handleOf, type Tensor, wrap } from "../tensor.ts";
import { broadcastShapes, sameDevice } from "./check.ts";
import { int32Arg } from "../scratch.ts";

/** How per-element losses combine. */
export type LossReduction = "mean" | "sum" | "none";

/** The shape of a loss: `S` for "none", a 0-dim tensor otherwise. */
export type Reduced<R, S extends Shape> = R extends "none" ? S : [];

/** The `reduction` option every loss takes. */
export interface ReductionOptions<R extends LossReduction = LossReduction> {
  /** "mean" (default), "sum" or "none". */
  reduction?: R;
}

const REDUCTIONS = { none: 0, mean: 1, sum: 2 } as const;

function reductionCode(reduction: string | undefined, op: string, extra: Record<string, number> = {}): number {
  const codes: Record<string, number> = { ...REDUCTIONS, ...extra };
  const r = reduction ?? "mean";
  const code = Object.hasOwn(codes, r) ? codes[r] : undefined;
  if (code === undefined) {
    const names = Object.keys(codes).map((k) => `"${k}"`).join(", ");
    throw new RangeError(`${op}: reduction must be one of ${names}, got ${String(reduction)}`);
  }
  return code;
}

function floatInput(x: Tensor, name: string, op: string): void {
  if (!isFloat(x.dtype)) throw new DTypeError(op, `${name} must be floating point, got ${x.dtype}`);
}

/** `t` (named `name`) has `x`'s dtype and device. */
function like(op: string, x: Tensor, t: Tensor, name: string): void {
  handleOf(t, op);
  if (t.dtype !== x.dtype) throw new DTypeError(op, `${name} must have the input's dtype ${x.dtype}, got ${t.dtype}`);
  sameDevice(x, t, op);
}

/** `t` broadcasts to exactly `shape` (a weight of an elementwise loss). */
function broadcastsTo(op: string, t: Tensor, shape: readonly number[], name: string): void {
  const offset = shape.length - t.rank;
  if (offset < 0 || t.shape.some((d, i) => d !== 1 && d !== shape[offset + i])) {
    throw new ShapeError(
      op,
      `${name} ${formatShape(t.shape)} must broadcast to the input's shape ${formatShape(shape)}`,
    );
  }
}

function sameShape(op: string, a: Tensor, b: Tensor, names: string): void {
  if (a.rank !== b.rank || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(op, `${names} must have one shape, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  }
}

// ---- regression losses ----

const KIND = { mseLoss: 0, l1Loss: 1, smoothL1Loss: 2, huberLoss: 3 } as const;

function pointwise<S extends Shape>(
  op: keyof typeof KIND,
  input: Tensor,
  target: Tensor,
  reduction: string | undefined,
  param: number,
): Tensor<S> {
  const code = reductionCode(reduction, op);
  floatInput(input, "input", op);
  like(op, input, target, "target");
  broadcastShapes(input.shape, target.shape, op);
  return wrap(sym.dt_pointwise_loss(handleOf(input, op), handleOf(target, op), KIND[op], code, param), op);
}

/** The signature of `mseLoss` and `l1Loss`: input and a target that broadcasts with it. */
export type PointwiseLoss = <A extends Shape, B extends Shape, R extends LossReduction = "mean">(
  input: Tensor<A>,
  target: Tensor<B> & BroadcastCheck<A, B>,
  options?: ReductionOptions<R>,
) => Tensor<Reduced<R, Broadcast<A, B>>>;

/**
 * Mean squared error (torch.nn.functional.mse_loss): (input − target)², reduced; the two broadcast.
 *
 * @example
 * ```ts
 * const loss = mseLoss(tensor([1, 2, 3], [3]), tensor([1, 0, 3], [3])); // 4/3
 * ```
 */
export const mseLoss: PointwiseLoss =
  ((input: Tensor, target: Tensor, o: ReductionOptions = {}) =>
    pointwise("mseLoss", input, target, o.reduction, 0)) as PointwiseLoss;

/**
 * Mean absolute error (torch.nn.functional.l1_loss): |input − target|, reduced.
 *
 * @example
 * ```ts
 * const loss = l1Loss(tensor([1, 2, 3], [3]), tensor([1, 0, 4], [3]), { reduction: "sum" }); // 3
 * ```
 */
export const l1Loss: PointwiseLoss =
  ((input: Tensor, target: Tensor, o: ReductionOptions = {}) =>
    pointwise("l1Loss", input, target, o.reduction, 0)) as PointwiseLoss;

/** Options of `smoothL1Loss`. */
export interface SmoothL1Options<R extends LossReduction> extends ReductionOptions<R> {
  /** Where the loss turns from quadratic (0.5·d²/β) to linear (|d| − 0.5·β); ≥ 0, default 1. */
  beta?: number;
}

/**
 * Smooth L1 loss (torch.nn.functional.smooth_l1_loss): 0.5·d²/β where |d| < β, else |d| − 0.5·β,
 * for d = input − target.
 *
 * @example
 * ```ts
 * const loss = smoothL1Loss(tensor([0.5, 3], [2]), zeros([2]), { reduction: "none" }); // [0.125, 2.5]
 * ```
 */
export function smoothL1Loss<A extends Shape, B extends Shape, R extends LossReduction = "mean">(
  input: Tensor<A>,
  target: Tensor<B> & BroadcastCheck<A, B>,
  options: SmoothL1Options<R> = {},
): Tensor<Reduced<R, Broadcast<A, B>>> {
  const { beta = 1 } = options;
  if (typeof beta !== "number" || !(beta >= 0) || !Number.isFinite(beta)) {
    throw new RangeError(`smoothL1Loss: beta must be a finite number ≥ 0, got ${beta}`);
  }
  return pointwise("smoothL1Loss", input, target, options.reduction, beta);
}

/** Options of `huberLoss`. */
export interface HuberOptions<R extends LossReduction> extends ReductionOptions<R> {
  /** Where the loss turns from quadratic (0.5·d²) to linear (δ·(|d| − 0.5·δ)); > 0, default 1. */
  delta?: number;
}

/**
 * Huber loss (torch.nn.functional.huber_loss): 0.5·d² where |d| ≤ δ, else δ·(|d| − 0.5·δ).
 *
 * @example
 * ```ts
 * const loss = huberLoss(tensor([0.5, 3], [2]), zeros([2]), { delta: 2, reduction: "none" }); // [0.125, 4]
 * ```
 */
export function huberLoss<A extends Shape, B extends Shape, R extends LossReduction = "mean">(
  input: Tensor<A>,
  target: Tensor<B> & BroadcastCheck<A, B>,
  options: HuberOptions<R> = {},
): Tensor<Reduced<R, Broadcast<A, B>>> {
  const { delta = 1 } = options;
  if (typeof delta !== "number" || !(delta > 0) || !Number.isFinite(delta)) {
    throw new RangeError(`huberLoss: delta must be a finite number > 0, got ${delta}`);
  }
  return pointwise("huberLoss", input, target, options.reduction, delta);
}

// ---- classification losses ----

/** Options of `nllLoss`. */
export interface NllOptions<R extends LossReduction> extends ReductionOptions<R> {
  /** Targets equal to this class add nothing (and do not count in the mean). Default -100. */
  ignoreIndex?: number;
  /** A weight per class [C]; "mean" then divides by the sum of the targets' weights. */
  weight?: Tensor;
}

/**
 * Negative log-likelihood (torch.nn.functional.nll_loss) of log-probabilities [n, C] (or [n, C, ...]
 * for per-position classes, or [C] for one sample) at i64 class targets [n] ([n, ...], []):
 * −logProbs[i, target[i]]·weight[target[i]], reduced.
 *
 * @example
 * ```ts
 * const loss = nllLoss(logSoftmax(randn([4, 10], rng(0)), 1), tensor([1, 0, 9, 3], [4], { dtype: "i64" }));
 * ```
 */
export function nllLoss<X extends Shape, T extends Shape, R extends LossReduction = "mean">(
  logProbs: Tensor<X>,
  target: Tensor<T>,
  options: NllOptions<R> = {},
): Tensor<Reduced<R, T>> {
  const op = "nllLoss";
  const { ignoreIndex = -100, weight } = options;
  const code = reductionCode(options.reduction, op);
  floatInput(logProbs, "logProbs", op);
  if (target.dtype !== "i64") throw new DTypeError(op, `target must hold i64 class indices, got ${target.dtype}`);
  sameDevice(logProbs, target, op);
  const fits = logProbs.rank === 1
    ? target.rank === 0
    : logProbs.rank >= 2 && target.rank === logProbs.rank - 1 && target.shape[0] === logProbs.shape[0] &&
      target.shape.slice(1).every((d, i) => d === logProbs.shape[i + 2]);
  if (!fits) {
    throw new ShapeError(
      op,
      `needs logProbs [n, C, ...] with target [n, ...] (or [C] with []), got ${formatShape(logProbs.shape)} and ${
        formatShape(target.shape)
      }`,
    );
  }
  const classes = logProbs.shape[logProbs.rank === 1 ? 0 : 1];
  if (weight) {
    if (weight.rank !== 1 || weight.shape[0] !== classes) {
      throw new ShapeError(op, `weight must be [${classes}] (one per class), got ${formatShape(weight.shape)}`);
    }
    like(op, logProbs, weight, "weight");
  }
  const ignored = int32Arg(ignoreIndex, "ignoreIndex", op);
  return wrap(
    sym.dt_nll_loss(handleOf(logProbs, op), handleOf(target, op), weight ? handleOf(weight, op) : null, code, ignored),
    op,
  );
}

/** Options of `binaryCrossEntropy`. */
export interface BceOptions<R extends LossReduction> extends ReductionOptions<R> {
  /** A weight per element, broadcast to the input's shape. */
  weight?: Tensor;
}

/**
 * Binary cross entropy (torch.nn.functional.binary_cross_entropy) of probabilities in [0, 1] against
 * targets of the same shape: −w·(t·log p + (1 − t)·log(1 − p)), each log clamped at −100 as torch does.
 *
 * @example
 * ```ts
 * const loss = binaryCrossEntropy(tensor([0.9, 0.2], [2]), tensor([1, 0], [2])); // −(log 0.9 + log 0.8)/2
 * ```
 */
export function binaryCrossEntropy<S extends Shape, R extends LossReduction = "mean">(
  probs: Tensor<S>,
  target: Tensor<S>,
  options: BceOptions<R> = {},
): Tensor<Reduced<R, S>> {
  const op = "binaryCrossEntropy";
  const code = reductionCode(options.reduction, op);
  floatInput(probs, "probs", op);
  like(op, probs, target, "target");
  sameShape(op, probs, target, "probs and target");
  const { weight } = options;
  if (weight) {
    like(op, probs, weight, "weight");
    broadcastsTo(op, weight, probs.shape, "weight");
  }
  return wrap(
    sym.dt_binary_cross_entropy(handleOf(probs, op), handleOf(target, op), weight ? handleOf(weight, op) : null, code),
    op,
  );
}

/** Options of `binaryCrossEntropyWithLogits`. */
export interface BceLogitsOptions<R extends LossReduction> extends BceOptions<R> {
  /** A weight of the positive term, broadcast along the input (usually one per class, [C]). */
  posWeight?: Tensor;
}

/**
 * Binary cross entropy on logits (torch.nn.functional.binary_cross_entropy_with_logits), computed
 * stably: −w·(pw·t·log σ(x) + (1 − t)·log(1 − σ(x))).
 *
 * @example
 * ```ts
 * const loss = binaryCrossEntropyWithLogits(tensor([2, -1], [2]), tensor([1, 0], [2]));
 * ```
 */
export function binaryCrossEntropyWithLogits<S extends Shape, R extends LossReduction = "mean">(
  logits: Tensor<S>,
  target: Tensor<S>,
  options: BceLogitsOptions<R> = {},
): Tensor<Reduced<R, S>> {
  const op = "binaryCrossEntropyWithLogits";
  const code = reductionCode(options.reduction, op);
  floatInput(logits, "logits", op);
  like(op, logits, target, "target");
  sameShape(op, logits, target, "logits and target");
  const { weight, posWeight } = options;
  for (const [name, t] of [["weight", weight], ["posWeight", posWeight]] as const) {
    if (!t) continue;
    like(op, logits, t, name);
    broadcastsTo(op, t, logits.shape, name);
  }
  return wrap(
    sym.dt_binary_cross_entropy_with_logits(
      handleOf(logits, op),
      handleOf(target, op),
      weight ? handleOf(weight, op) : null,
      posWeight ? handleOf(posWeight, op) : null,
      code,
    ),
    op,
  );
}

// ---- divergences and embeddings ----

/** Options of `klDiv`. */
export interface KlDivOptions<R extends LossReduction | "batchmean"> {
  /** "mean" (default; over all elements, as torch's), "batchmean" (sum / batch size, the KL divergence per sample), "sum" or "none". */
  reduction?: R;
  /** The target is given as log-probabilities too. Default false. */
  logTarget?: boolean;
}

/**
 * Kullback-Leibler divergence (torch.nn.functional.kl_div) with `input` as log-probabilities:
 * target·(log target − input) pointwise (exp(t)·(t − input) with `logTarget`), reduced. "batchmean"
 * divides the sum by the first dim's size, the mathematical KL divergence per sample.
 *
 * @example
 * ```ts
 * const kl = klDiv(logSoftmax(randn([4, 5], rng(0)), 1), softmax(randn([4, 5], rng(1)), 1), { reduction: "batchmean" });
 * ```
 */
export function klDiv<A extends Shape, B extends Shape, R extends LossReduction | "batchmean" = "mean">(
  input: Tensor<A>,
  target: Tensor<B> & BroadcastCheck<A, B>,
  options: KlDivOptions<R> = {},
): Tensor<Reduced<R, Broadcast<A, B>>> {
  const op = "klDiv";
  const code = reductionCode(options.reduction, op, { batchmean: 3 });
  floatInput(input, "input", op);
  like(op, input, target, "target");
  broadcastShapes(input.shape, target.shape, op);
  return wrap(sym.dt_kl_div(handleOf(input, op), handleOf(target, op), code, options.logTarget ? 1 : 0), op);
}

/** Options of `cosineEmbeddingLoss`. */
export interface CosineEmbeddingOptions<R extends LossReduction> extends ReductionOptions<R> {
  /** For dissimilar pairs (y = −1), only cosines above this count. Default 0. */
  margin?: number;
}

/**
 * Cosine embedding loss (torch.nn.functional.cosine_embedding_loss) of pairs x1, x2 [n, d] (or [d])
 * labelled y [n] (or []) with 1 (similar: 1 − cos) or −1 (dissimilar: max(0, cos − margin)).
 *
 * @example
 * ```ts
 * const loss = cosineEmbeddingLoss(randn([3, 4], rng(0)), randn([3, 4], rng(1)), tensor([1, -1, 1], [3]));
 * ```
 */
export function cosineEmbeddingLoss<S extends Shape, Y extends Shape, R extends LossReduction = "mean">(
  x1: Tensor<S>,
  x2: Tensor<S>,
  y: Tensor<Y>,
  options: CosineEmbeddingOptions<R> = {},
): Tensor<Reduced<R, Y>> {
  const op = "cosineEmbeddingLoss";
  const code = reductionCode(options.reduction, op);
  const { margin = 0 } = options;
  if (typeof margin !== "number" || !Number.isFinite(margin)) {
    throw new RangeError(`${op}: margin must be a finite number, got ${margin}`);
  }
  floatInput(x1, "x1", op);
  like(op, x1, x2, "x2");
  handleOf(y, op);
  sameDevice(x1, y, op);
  const fits = x1.rank >= 1 && x1.rank <= 2 && y.rank === x1.rank - 1 && (x1.rank === 1 || y.shape[0] === x1.shape[0]);
  if (!fits || x1.shape.some((d, i) => d !== x2.shape[i]) || x1.rank !== x2.rank) {
    throw new ShapeError(
      op,
      `needs x1 and x2 [n, d] with y [n] (or [d] with []), got ${formatShape(x1.shape)}, ${formatShape(x2.shape)} and ${
        formatShape(y.shape)
      }`,
    );
  }
  if (y.dtype === "bool") throw new DTypeError(op, `y must hold 1 or -1 as numbers, got bool`);
  return wrap(sym.dt_cosine_embedding_loss(handleOf(x1, op), handleOf(x2, op), handleOf(y, op), margin, code), op);
}
