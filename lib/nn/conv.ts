/**
 * What `nn.conv1d` and `nn.conv2d` share: the parameter tree, torch.nn.ConvNd's draw, and the checks
 * of the sizes that shape it.
 *
 * The hyperparameters (stride, padding, dilation, groups) are not in the tree: a layer is only its
 * tensors, `weight` and `bias`, so that its state-dict paths are torch's exactly and every tree
 * function (`flattenTree`, `valueAndGrad`, the optimizers, safetensors) takes it as it is. Numbers
 * among the leaves would be refused by `flattenTree`, and a hidden (symbol or non-enumerable) field
 * would be dropped, silently, by every `mapTree` that rebuilds the tree (an optimizer step, a
 * gradient), leaving a layer that convolves differently after one update. So `apply` takes them as
 * options, as torch.nn.functional.conv2d does; `init` takes the same options object (it draws
 * with `groups` and checks the rest), so one object written once serves both calls.
 *
 * @module
 */
import { rand } from "../create.ts";
import type { Device } from "../device.ts";
import type { FloatDType } from "../dtype.ts";
import { isFloat } from "../dtype.ts";
import { DTypeError } from "../errors.ts";
import { add, mul } from "../ops/elementwise.ts";
import type { ConvOptions, PerDim } from "../ops/conv.ts";
import { type Key, namedKeys } from "../rng.ts";
import { scope } from "../scope.ts";
import type { Tensor } from "../tensor.ts";

/** Options of a convolution layer's `init`: the convolution's own (see `ConvOptions`) and the tensors'. */
export interface ConvLayerOptions<G extends number = number> extends ConvOptions<G> {
  /** Whether the layer has a bias; default true. */
  bias?: boolean;
  /** Where the weights are created; default the CPU. */
  device?: Device;
  /** Their floating-point type; default f32. */
  dtype?: FloatDType;
}

/** A positive integer in int32's range, or a RangeError naming `name` and `op`. */
function positive(value: unknown, name: string, op: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new RangeError(`${op}: ${name} must be an integer in [1, 2^31 - 1], got ${String(value)}`);
  }
  return value;
}

/** `value` as `k` integers ≥ `min` (one number for every spatial dim, or a list of `k`), or a RangeError. */
function perDim(value: PerDim, k: number, name: string, op: string, min: number): number[] {
  const list = typeof value === "number" ? Array.from({ length: k }, () => value) : value;
  const bad = !Array.isArray(list) || list.length !== k ||
    list.some((v) => typeof v !== "number" || !Number.isInteger(v) || v < min || v > 2 ** 31 - 1);
  if (bad) {
    const got = Array.isArray(value) ? `[${value.join(", ")}]` : String(value);
    throw new RangeError(`${op}: ${name} must be an integer ≥ ${min} or ${k} of them, got ${got}`);
  }
  return [...list];
}

/**
 * A convolution layer's tensors over `k` spatial dims, drawn as torch.nn.Conv1d/Conv2d draw them:
 * weight [out, in/groups, ...kernel] and bias [out], both uniform in ±1/√fan_in with fan_in =
 * in/groups · ∏kernel (kaiming_uniform with a = √5 gives exactly that bound for the weight, and torch
 * draws the bias with the same one), each from its own key.
 */
export function initConv(
  op: string,
  k: number,
  key: Key,
  inChannels: number,
  outChannels: number,
  kernelSize: PerDim,
  options: ConvLayerOptions,
): { weight: Tensor; bias?: Tensor } {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${op}: options must be an object, got ${String(options)}`);
  }
  const { bias = true, device, dtype = "f32", stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
  positive(inChannels, "inChannels", op);
  positive(outChannels, "outChannels", op);
  const kernel = perDim(kernelSize, k, "kernelSize", op, 1);
  const g = positive(groups, "groups", op);
  if (inChannels % g !== 0 || outChannels % g !== 0) {
    throw new RangeError(
      `${op}: groups ${g} must divide inChannels ${inChannels} and outChannels ${outChannels}`,
    );
  }
  // Checked here too, so that a bad one fails where the layer is made rather than at its first call.
  const strides = perDim(stride, k, "stride", op, 1);
  perDim(dilation, k, "dilation", op, 1);
  if (padding !== "same" && padding !== "valid") perDim(padding, k, "padding", op, 0);
  if (padding === "same" && strides.some((s) => s !== 1)) {
    throw new RangeError(`${op}: padding "same" needs stride 1, got stride [${strides.join(", ")}]`);
  }
  if (typeof bias !== "boolean") throw new TypeError(`${op}: bias must be a boolean, got ${String(bias)}`);
  if (!isFloat(dtype)) throw new DTypeError(op, `dtype must be floating point, got ${dtype}`);
  const fanIn = (inChannels / g) * kernel.reduce((a, b) => a * b, 1);
  const bound = 1 / Math.sqrt(fanIn);
  const keys = namedKeys(key, ["weight", "bias"]);
  const uniform = (shape: number[], from: Key): Tensor =>
    scope(() => add(mul(rand(shape, from, { device, dtype }), 2 * bound), -bound));
  const weight = uniform([outChannels, inChannels / g, ...kernel], keys.weight);
  return bias ? { weight, bias: uniform([outChannels], keys.bias) } : { weight };
}

/** A layer's tensors, or a TypeError naming `op` when `layer` is not { weight, bias? } or `options` not an object. */
export function convParams(op: string, layer: unknown, options: unknown): { weight: Tensor; bias?: Tensor } {
  if (layer === null || typeof layer !== "object" || !("weight" in layer)) {
    throw new TypeError(`${op}: layer must be { weight, bias? }, got ${String(layer)}`);
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${op}: options must be an object, got ${String(options)}`);
  }
  return layer as { weight: Tensor; bias?: Tensor };
}
