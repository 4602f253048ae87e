/**
 * deno-torch: a shape-typed, purely functional tensor library on libtorch. Tensors whose shapes live
 * in their types, ops, scopes that free memory, autograd over parameter trees, explicit random keys,
 * layers (`nn`), optimizers, safetensors and data-parallel collectives. It loads no npm package; the translator
 * built with it is the `./nmt` entry point, its metrics `./metrics`.
 *
 * ```ts
 * import { matmul, randn, rng, scope, type Tensor } from "./mod.ts";
 * const y = scope(() => matmul(randn([2, 3], rng(0)), randn([3, 4], rng(1)))); // Tensor<[2, 4]>
 * ```
 */
export { LibraryError, TorchError } from "./ffi/errors.ts";
export { DeviceError, DTypeError, FreedTensorError, ShapeError } from "./lib/errors.ts";
export * from "./lib/shape.ts";
export { assume, type Handle, Tensor } from "./lib/tensor.ts";
export type { DType, FloatDType } from "./lib/dtype.ts";
export { canonicalDevice, defaultDevice, type Device, setDefaultDevice } from "./lib/device.ts";
export * from "./lib/create.ts";
export * from "./lib/transfer.ts";
export {
  forEachTensor,
  free,
  keep,
  memory,
  type MemoryReport,
  releaseCachedMemory,
  resetPeakResident,
  type ResidentMemory,
  residentMemory,
  type Scope,
  scope,
} from "./lib/scope.ts";
export * from "./lib/rng.ts";
export * from "./lib/ops/elementwise.ts";
export * from "./lib/ops/shape.ts";
export * from "./lib/ops/reduce.ts";
export * from "./lib/ops/linalg.ts";
export * from "./lib/ops/quantized.ts";
export * from "./lib/ops/nn.ts";
export * from "./lib/ops/optim.ts";
/**
 * Layers as Equinox-style pure functions, each a weight tree with `init(key, ...)` and `apply(layer, x, ...)`:
 * `nn.linear`, `nn.embedding`, `nn.layerNorm`, `nn.dropout`, `nn.attention`.
 *
 * @example
 * ```ts
 * import { nn, randn, rng, scope } from "@deno-torch/torch";
 * const layer = nn.linear.init(rng(0), 3, 4);
 * scope(() => nn.linear.apply(layer, randn([2, 3], rng(1)))); // Tensor [2, 4]
 * ```
 */
export * as nn from "./lib/nn/mod.ts";
export * from "./lib/autograd.ts";
export { autocast, type AutocastDType, autocastDType } from "./lib/autocast.ts";
export * from "./lib/tree.ts";
export * from "./lib/runtime.ts";
// Optimizers and schedules: pure Adam/AdamW updates, global-norm clipping, learning-rate schedules.
export { type AdamConfig, adamInit, type AdamState, adamUpdate, type UpdateOptions } from "./lib/optim/adam.ts";
export { clipGradNorm } from "./lib/optim/clip.ts";
export { constant, type Schedule, warmupInverseSqrt } from "./lib/optim/schedule.ts";
// Files: safetensors, the format PyTorch and Hugging Face share.
export * from "./lib/io/safetensors.ts";
// Data-parallel collectives across processes (c10d: Gloo on CPU, NCCL on CUDA).
export {
  type AllReduceGradOptions,
  allReduceMean,
  allReduceSum,
  backendFor,
  barrier,
  broadcast,
  destroyDistributed,
  type DistributedBackend,
  distributedBackend,
  type DistributedConfig,
  distributedConfigFromEnv,
  freePort,
  initDistributed,
  rank,
  rankDevice,
  valueAndGradAllReduced,
  worldSize,
} from "./lib/dist.ts";

// ---- elementwise, reductions and scans ----
export * from "./lib/ops/math.ts";
export * from "./lib/ops/scan.ts";

// ---- indexing and shape ----
export * from "./lib/ops/rearrange.ts";
export * from "./lib/ops/indexing.ts";

// ---- linear algebra, creation and random ----
// The shape algebra of einsum and the matrix ops (its helper types are public as shape.ts's are).
export type * from "./lib/ops/einsum.ts";
export { einsum } from "./lib/ops/einsum.ts";
export type * from "./lib/ops/matrix.ts";
export {
  addmm,
  baddbmm,
  cholesky,
  det,
  eigh,
  inverse,
  kron,
  outer,
  qr,
  slogdet,
  solve,
  svd,
  tensordot,
} from "./lib/ops/matrix.ts";
export { emptyLike, linspace, logspace } from "./lib/ops/ranges.ts";
export type * from "./lib/ops/sample.ts";
export { multinomial, normal, randperm, uniform } from "./lib/ops/sample.ts";

// ---- convolution, pooling, normalization, losses ----
export * from "./lib/ops/conv.ts";
export * from "./lib/ops/norm.ts";
export * from "./lib/ops/loss.ts";

// ---- transforms ----
// (grad, valueAndGrad, vjp, jvp and hessianVectorProduct come with lib/autograd.ts above)
export { checkpoint } from "./lib/checkpoint.ts";

// ---- layers and optimizers ----
// More optimizers (torch.optim's single-tensor arithmetic; Lion as lion-pytorch) and schedules.
export { type SgdConfig, sgdInit, type SgdState, sgdStep, sgdUpdate } from "./lib/optim/sgd.ts";
export { type AdagradConfig, adagradInit, type AdagradState, adagradStep, adagradUpdate } from "./lib/optim/adagrad.ts";
export {
  type RmspropConfig,
  rmspropInit,
  type RmspropLeafState,
  type RmspropState,
  rmspropStep,
  rmspropUpdate,
} from "./lib/optim/rmsprop.ts";
export { type LionConfig, lionInit, type LionState, lionStep, lionUpdate } from "./lib/optim/lion.ts";
export { oneCycle, type OneCycleOptions, stepDecay, warmupCosine, warmupLinear } from "./lib/optim/schedule.ts";
