/**
 * Batch normalization as a layer, torch.nn.BatchNorm1d/2d/3d in one (the rank of x decides): a
 * parameter tree `{ weight, bias }` [features] that gradients and optimizers see, and a SEPARATE
 * state tree `{ runningMean, runningVar }` [features] that they do not. Nothing is hidden and
 * nothing is mutated: `apply` takes the state and returns the next one beside its output, so a
 * training step threads it through (valueAndGrad's `hasAux` carries it out of the loss).
 *
 * Against a torch state dict: `weight` and `bias` are the same paths; `running_mean` and
 * `running_var` are `state.runningMean` and `state.runningVar`; `num_batches_tracked` has no
 * counterpart. torch counts training calls in it only for `momentum=None` (a cumulative average),
 * which this layer does not offer (momentum is a number), so it is dropped when loading, and torch's
 * `load_state_dict` fills it in (0) when a file without it is loaded into a BatchNorm.
 *
 * @module
 */
import { ones, zeros } from "../create.ts";
import type { Device } from "../device.ts";
import type { FloatDType } from "../dtype.ts";
import { isFloat } from "../dtype.ts";
import { DTypeError } from "../errors.ts";
import { batchNorm, type BatchNormState, type ChannelDim, type StateFits } from "../ops/norm.ts";
import type { Check, Dim, Shape } from "../shape.ts";
import type { Tensor } from "../tensor.ts";

export type { BatchNormState } from "../ops/norm.ts";

/** The learned scale (`weight`) and shift (`bias`) per channel, torch.nn.BatchNorm's names; both absent when not affine. */
export interface BatchNorm<Features extends Dim = Dim> {
  /** Multiplies each normalized channel; starts at ones. */
  weight?: Tensor<[Features]>;
  /** Added after scaling; starts at zeros. */
  bias?: Tensor<[Features]>;
}

/** Options of `init`. */
export interface BatchNormInitOptions {
  /** Whether the layer has a weight and bias (torch's `affine`); default true. */
  affine?: boolean;
  /** Where the tensors are created; default the CPU. */
  device?: Device;
  /** Their floating-point type; default f32. */
  dtype?: FloatDType;
}

/** Options of `apply`. `training` has no default: torch.nn modules start in training mode, F.batch_norm in evaluation, and a silent pick of either is a bug waiting. */
export interface BatchNormApplyOptions {
  /** Normalize by the batch's statistics and return the state moved towards them (true), or by the state's, returned as it is (false). */
  training: boolean;
  /** Weight of the batch's statistics in the update: running = (1 − m)·running + m·batch. Default 0.1, torch's. */
  momentum?: number;
  /** Added to the variance inside the square root. Default 1e-5, torch's. */
  eps?: number;
}

/**
 * A new batch norm over `features` channels, as torch.nn.BatchNorm1d/2d start: weight ones and bias
 * zeros (the parameters), running mean zeros and running variance ones (the state). It draws
 * nothing, so it takes no key.
 *
 * @throws {RangeError} If `features` is not a positive integer.
 *
 * @example
 * ```ts
 * import { nn } from "@deno-torch/torch";
 * const { layer, state } = nn.batchNorm.init(16); // layer { weight, bias }, state { runningMean, runningVar }, all [16]
 * ```
 */
export function init(
  features: number,
  options: BatchNormInitOptions = {},
): { layer: BatchNorm<number>; state: BatchNormState<number> } {
  const op = "batchNorm";
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${op}: options must be an object, got ${String(options)}`);
  }
  const { affine = true, device, dtype = "f32" } = options;
  if (typeof features !== "number" || !Number.isInteger(features) || features < 1 || features > 2 ** 31 - 1) {
    throw new RangeError(`${op}: features must be an integer in [1, 2^31 - 1], got ${String(features)}`);
  }
  if (typeof affine !== "boolean") throw new TypeError(`${op}: affine must be a boolean, got ${String(affine)}`);
  if (!isFloat(dtype)) throw new DTypeError(op, `dtype must be floating point, got ${dtype}`);
  const opts = { device, dtype };
  const state = { runningMean: zeros([features], opts), runningVar: ones([features], opts) };
  const layer = affine ? { weight: ones([features], opts), bias: zeros([features], opts) } : {};
  return { layer, state };
}

/**
 * x [batch, features, ...] normalized per channel (torch.nn.functional.batch_norm): in training by the
 * batch's mean and biased variance, with the state's running mean and unbiased variance moved towards
 * the batch's by `momentum`; otherwise by the state's. The state passed in is not modified; the one
 * returned is new tensors either way (equal values when not training).
 *
 * @throws {ShapeError} If x is not [batch, features, ...] with the layer's features, or (training) has one value per channel.
 * @throws {TypeError} If `training` is not a boolean.
 * @throws {RangeError} If momentum is outside [0, 1] or eps is negative or not finite.
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * scope(() => {
 *   const { layer, state } = nn.batchNorm.init(3);
 *   const { out, state: next } = nn.batchNorm.apply(layer, state, randn([8, 3, 4, 4], rng(0)), { training: true }); // out [8, 3, 4, 4]
 * });
 * ```
 */
export function apply<S extends Shape, C extends Dim = ChannelDim<S>>(
  layer: BatchNorm,
  state: BatchNormState<C> & Check<StateFits<S, C>>,
  x: Tensor<S>,
  options: BatchNormApplyOptions,
): { out: Tensor<S>; state: BatchNormState<C> } {
  const op = "batchNorm";
  if (layer === null || typeof layer !== "object") {
    throw new TypeError(`${op}: layer must be { weight, bias } (or {} when not affine), got ${String(layer)}`);
  }
  if (options === null || typeof options !== "object" || typeof options.training !== "boolean") {
    throw new TypeError(`${op}: options.training must be true or false, got ${String(options?.training)}`);
  }
  const { training, momentum, eps } = options;
  const r = batchNorm(x as Tensor, state as never, layer.weight, layer.bias, { training, momentum, eps });
  const next = { runningMean: r.runningMean, runningVar: r.runningVar } as unknown as BatchNormState<C>;
  return { out: r.out as Tensor as Tensor<S>, state: next };
}
