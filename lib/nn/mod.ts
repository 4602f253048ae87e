/**
 * Layers as pure functions, in the style of Equinox: each layer is a plain tree of weights (its
 * type), `init(key, ...)` to draw a new one, and `apply(layer, x, ...)` to run it. Built on the ops;
 * the trees go straight into `valueAndGrad`, the optimizers and safetensors.
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope, splitKey } from "@deno-torch/torch";
 * const [k1, k2] = splitKey(rng(0));
 * const layer = { hidden: nn.linear.init(k1, 8, 32), out: nn.linear.init(k2, 32, 8) };
 * scope(() => nn.linear.apply(layer.out, nn.linear.apply(layer.hidden, randn([4, 8], rng(1))))); // [4, 8]
 * ```
 *
 * @module
 */
export * as linear from "./linear.ts";
export * as embedding from "./embedding.ts";
export * as layerNorm from "./layer_norm.ts";
export * as dropout from "./dropout.ts";
export * as attention from "./attention.ts";
// Issue 17 (F): more layers. `multiHeadAttention` is `attention` under torch.nn.MultiheadAttention's name;
// the convolutions take stride, padding, dilation and groups in `apply`; batch norm's state is a tree apart.
export * as mlp from "./mlp.ts";
export * as sequential from "./sequential.ts";
export * as rmsNorm from "./rms_norm.ts";
export * as multiHeadAttention from "./attention.ts";
export * as conv1d from "./conv1d.ts";
export * as conv2d from "./conv2d.ts";
export * as batchNorm from "./batch_norm.ts";
