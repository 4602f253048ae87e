/**
 * The op registry: every tensor op of the library's entry point, with the PyTorch op it covers and
 * what is promised about it. `deno task ops-doc` writes docs/ops.md from it; tests/ops_registry_test.ts
 * holds each promise to account:
 * - `name` is an export of mod.ts (`nn.x` for a layer);
 * - `typed`: the result's shape is computed by the type checker (with a readable compile-time error
 *   where it does not fit), not just `Tensor`;
 * - `differentiable`: gradients flow through it as through PyTorch's, and it has a finite-difference
 *   case in tests/grad_cases.ts or tests/grad_cases/ (and an op with a case is marked differentiable);
 * - cross-checked against PyTorch is not claimed here but read off the differential fuzzer's table
 *   (scripts/fuzz/diff_table.ts and its groups in scripts/fuzz/diff/), which CI runs against python3-torch.
 *
 * Entries are in sections by group: first those that came before issue 17, then issue 17's
 * (elementwise, reductions and scans; indexing and shape; linear algebra, creation and random;
 * convolution, pooling, normalization, losses, attention; layers and optimizers).
 */

/** The groups docs/ops.md is split into, in its order. */
export const GROUPS = [
  "elementwise",
  "reductions and scans",
  "indexing",
  "shape",
  "linear algebra",
  "neural network",
  "creation and random",
  "conversion",
  "layers",
  "optimizers",
] as const;
export type Group = typeof GROUPS[number];

export interface OpEntry {
  /** The export of mod.ts (`nn.linear` for a layer). */
  name: string;
  /** The PyTorch op it stands for, as torch code names it. */
  torch: string;
  group: Group;
  /** The result's shape is computed at compile time. */
  typed: boolean;
  /** Gradients flow through it (and tests/grad_cases.ts has a finite-difference case). */
  differentiable: boolean;
}

const op = (
  group: Group,
  name: string,
  torch: string,
  typed: boolean,
  differentiable: boolean,
): OpEntry => ({ name, torch, group, typed, differentiable });

const ew = (name: string, torch: string, differentiable = true) => op("elementwise", name, torch, true, differentiable);
const red = (name: string, torch: string, differentiable = true, typed = true) =>
  op("reductions and scans", name, torch, typed, differentiable);
const idx = (name: string, torch: string, differentiable = true, typed = true) =>
  op("indexing", name, torch, typed, differentiable);
const shp = (name: string, torch: string, differentiable = true, typed = true) =>
  op("shape", name, torch, typed, differentiable);
const la = (name: string, torch: string, differentiable = true, typed = true) =>
  op("linear algebra", name, torch, typed, differentiable);
const nnOp = (name: string, torch: string, differentiable = true, typed = true) =>
  op("neural network", name, torch, typed, differentiable);
const mk = (name: string, torch: string, typed = true) => op("creation and random", name, torch, typed, false);

export const OPS: readonly OpEntry[] = [
  // ---- elementwise ----
  ew("add", "torch.add"),
  ew("sub", "torch.sub"),
  ew("rsub", "torch.rsub"),
  ew("mul", "torch.mul"),
  ew("div", "torch.div"),
  ew("rdiv", "scalar / tensor"),
  ew("pow", "torch.pow"),
  ew("maximum", "torch.maximum"),
  ew("minimum", "torch.minimum"),
  ew("eq", "torch.eq", false),
  ew("ne", "torch.ne", false),
  ew("lt", "torch.lt", false),
  ew("le", "torch.le", false),
  ew("gt", "torch.gt", false),
  ew("ge", "torch.ge", false),
  ew("logicalAnd", "torch.logical_and", false),
  ew("logicalOr", "torch.logical_or", false),
  ew("logicalNot", "torch.logical_not", false),
  ew("isNaN", "torch.isnan", false),
  ew("isFinite", "torch.isfinite", false),
  ew("neg", "torch.neg"),
  ew("abs", "torch.abs"),
  ew("exp", "torch.exp"),
  ew("log", "torch.log"),
  ew("sqrt", "torch.sqrt"),
  ew("rsqrt", "torch.rsqrt"),
  ew("tanh", "torch.tanh"),
  ew("sigmoid", "torch.sigmoid"),
  ew("relu", "torch.relu"),
  ew("gelu", "torch.nn.functional.gelu"),
  ew("sin", "torch.sin"),
  ew("cos", "torch.cos"),
  ew("reciprocal", "torch.reciprocal"),
  ew("clamp", "torch.clamp"),
  ew("where", "torch.where"),
  ew("maskedFill", "torch.Tensor.masked_fill"),

  // ---- reductions and scans ----
  red("sum", "torch.sum"),
  red("mean", "torch.mean"),
  red("std", "torch.std"),
  red("var_", "torch.var"),
  red("max", "torch.amax / torch.max"),
  red("min", "torch.amin / torch.min"),
  red("argmax", "torch.argmax", false),
  red("argmin", "torch.argmin", false),
  red("logsumexp", "torch.logsumexp"),
  red("softmax", "torch.softmax"),
  red("logSoftmax", "torch.log_softmax"),
  red("topk", "torch.topk"),
  red("maxLogSoftmax", "torch.log_softmax(x, -1).max(-1, keepdim=True)", false),

  // ---- indexing ----
  idx("gather", "torch.gather"),
  idx("indexSelect", "torch.index_select"),
  idx("tril", "torch.tril"),
  idx("triu", "torch.triu"),

  // ---- shape ----
  shp("reshape", "torch.reshape"),
  shp("view", "torch.Tensor.view"),
  shp("expand", "torch.Tensor.expand"),
  shp("transpose", "torch.transpose"),
  shp("permute", "torch.permute"),
  shp("contiguous", "torch.Tensor.contiguous"),
  shp("squeeze", "torch.squeeze"),
  shp("unsqueeze", "torch.unsqueeze"),
  shp("slice", "tensor[a:b:s] along a dim"),
  shp("cat", "torch.cat"),
  shp("stack", "torch.stack"),

  // ---- linear algebra ----
  la("matmul", "torch.matmul"),
  la("bmm", "torch.bmm"),
  la("linear", "torch.nn.functional.linear"),
  la("quantizeLinear", "torch.quantize_per_channel + quantized::linear_prepack", false, true),
  la("linearInt8", "torch.ops.quantized.linear_dynamic", false, true),

  // ---- neural network ----
  nnOp("embedding", "torch.nn.functional.embedding"),
  nnOp("dropout", "torch.nn.functional.dropout"),
  nnOp("layerNorm", "torch.nn.functional.layer_norm"),
  nnOp("crossEntropy", "torch.nn.functional.cross_entropy"),
  nnOp("attentionProbs", "softmax(q kᵀ / √d + mask), bool, additive or causal mask", true, false),
  nnOp("scaledDotProductAttention", "torch.nn.functional.scaled_dot_product_attention"),

  // ---- creation and random ----
  mk("tensor", "torch.tensor"),
  mk("fromBytes", "torch.frombuffer"),
  mk("full", "torch.full"),
  mk("zeros", "torch.zeros"),
  mk("ones", "torch.ones"),
  mk("fullLike", "torch.full_like"),
  mk("zerosLike", "torch.zeros_like"),
  mk("onesLike", "torch.ones_like"),
  mk("arange", "torch.arange", false),
  mk("eye", "torch.eye"),
  mk("randn", "torch.randn"),
  mk("rand", "torch.rand"),
  mk("randint", "torch.randint"),
  mk("bernoulli", "torch.bernoulli"),

  // ---- conversion ----
  op("conversion", "cast", "torch.Tensor.to(dtype)", true, true),
  op("conversion", "toDevice", "torch.Tensor.to(device)", true, true),
  op("conversion", "clone", "torch.clone", true, true),
  op("conversion", "detach", "torch.Tensor.detach", true, false),

  // ---- layers ----
  op("layers", "nn.linear", "torch.nn.Linear", true, true),
  op("layers", "nn.embedding", "torch.nn.Embedding", true, true),
  op("layers", "nn.layerNorm", "torch.nn.LayerNorm", true, true),
  op("layers", "nn.dropout", "torch.nn.Dropout", true, false),
  op("layers", "nn.attention", "torch.nn.MultiheadAttention", true, true),

  // ---- optimizers ----
  op("optimizers", "adamStep", "torch.optim.Adam / AdamW (one tensor)", true, false),
  op("optimizers", "clipByGlobalNorm", "torch.nn.utils.clip_grad_norm_", false, false),
  op("optimizers", "clipGradNorm", "torch.nn.utils.clip_grad_norm_ (over a tree)", false, false),

  // ---- elementwise, reductions and scans ----
  ew("silu", "torch.nn.functional.silu"),
  ew("softplus", "torch.nn.functional.softplus"),
  ew("elu", "torch.nn.functional.elu"),
  ew("leakyRelu", "torch.nn.functional.leaky_relu"),
  ew("mish", "torch.nn.functional.mish"),
  ew("hardtanh", "torch.nn.functional.hardtanh"),
  ew("erf", "torch.erf"),
  ew("log1p", "torch.log1p"),
  ew("expm1", "torch.expm1"),
  ew("log2", "torch.log2"),
  ew("floor", "torch.floor"),
  ew("ceil", "torch.ceil"),
  ew("round", "torch.round"),
  ew("trunc", "torch.trunc"),
  ew("sign", "torch.sign"),
  ew("square", "torch.square"),
  ew("fmod", "torch.fmod"),
  ew("remainder", "torch.remainder"),
  ew("atan2", "torch.atan2"),
  ew("lerp", "torch.lerp"),
  ew("isclose", "torch.isclose", false),
  op("elementwise", "allclose", "torch.allclose", false, false),
  red("prod", "torch.prod"),
  red("cumsum", "torch.cumsum"),
  red("cumprod", "torch.cumprod"),
  red("logcumsumexp", "torch.logcumsumexp"),
  red("norm", "torch.norm"),
  red("all", "torch.all", false),
  red("any", "torch.any", false),
  red("sort", "torch.sort"),
  red("argsort", "torch.argsort", false),
  red("median", "torch.median"),
  red("mode", "torch.mode"),
  red("unique", "torch.unique", false),

  // ---- indexing and shape ----
  shp("flatten", "torch.flatten"),
  shp("unflatten", "torch.unflatten"),
  shp("split", "torch.split"),
  shp("chunk", "torch.chunk"),
  shp("unbind", "torch.unbind"),
  shp("flip", "torch.flip"),
  shp("roll", "torch.roll"),
  shp("repeat", "torch.Tensor.repeat"),
  shp("tile", "torch.tile"),
  shp("repeatInterleave", "torch.repeat_interleave"),
  shp("pad", "torch.nn.functional.pad"),
  shp("movedim", "torch.movedim"),
  shp("narrow", "torch.narrow"),
  shp("diag", "torch.diag"),
  shp("diagonal", "torch.diagonal"),
  shp("broadcastTo", "torch.broadcast_to"),
  shp("meshgrid", "torch.meshgrid"),
  idx("scatter", "torch.scatter"),
  idx("scatterAdd", "torch.scatter_add"),
  idx("scatterReduce", "torch.scatter_reduce"),
  idx("indexAdd", "torch.index_add"),
  idx("indexFill", "torch.index_fill"),
  idx("indexPut", "torch.index_put"),
  idx("take", "torch.take"),
  idx("takeAlongDim", "torch.take_along_dim"),
  idx("nonzero", "torch.nonzero", false),
  idx("maskedSelect", "torch.masked_select"),
  idx("oneHot", "torch.nn.functional.one_hot", false),

  // ---- linear algebra, creation and random ----
  la("einsum", "torch.einsum"),
  la("outer", "torch.outer"),
  la("addmm", "torch.addmm"),
  la("baddbmm", "torch.baddbmm"),
  la("tensordot", "torch.tensordot"),
  la("kron", "torch.kron"),
  la("inverse", "torch.linalg.inv"),
  la("det", "torch.linalg.det"),
  la("slogdet", "torch.linalg.slogdet"),
  la("solve", "torch.linalg.solve"),
  la("cholesky", "torch.linalg.cholesky"),
  la("qr", "torch.linalg.qr"),
  la("svd", "torch.linalg.svd"),
  la("eigh", "torch.linalg.eigh"),
  mk("linspace", "torch.linspace"),
  mk("logspace", "torch.logspace"),
  mk("emptyLike", "torch.empty_like"),
  mk("randperm", "torch.randperm"),
  mk("multinomial", "torch.multinomial"),
  mk("normal", "torch.normal"),
  mk("uniform", "torch.Tensor.uniform_"),

  // ---- convolution, pooling, normalization, losses, attention ----
  nnOp("conv1d", "torch.nn.functional.conv1d"),
  nnOp("conv2d", "torch.nn.functional.conv2d"),
  nnOp("conv3d", "torch.nn.functional.conv3d"),
  nnOp("convTranspose1d", "torch.nn.functional.conv_transpose1d"),
  nnOp("convTranspose2d", "torch.nn.functional.conv_transpose2d"),
  nnOp("maxPool1d", "torch.nn.functional.max_pool1d"),
  nnOp("maxPool2d", "torch.nn.functional.max_pool2d"),
  nnOp("maxPool1dWithIndices", "torch.nn.functional.max_pool1d(return_indices=True)"),
  nnOp("maxPool2dWithIndices", "torch.nn.functional.max_pool2d(return_indices=True)"),
  nnOp("avgPool1d", "torch.nn.functional.avg_pool1d"),
  nnOp("avgPool2d", "torch.nn.functional.avg_pool2d"),
  nnOp("adaptiveAvgPool2d", "torch.nn.functional.adaptive_avg_pool2d"),
  nnOp("interpolate", "torch.nn.functional.interpolate (nearest, bilinear)"),
  nnOp("batchNorm", "torch.nn.functional.batch_norm"),
  nnOp("groupNorm", "torch.nn.functional.group_norm"),
  nnOp("instanceNorm", "torch.nn.functional.instance_norm"),
  nnOp("rmsNorm", "torch.nn.functional.rms_norm (torch 2.x)"),
  nnOp("stdLayerNorm", "the Annotated Transformer's LayerNorm module: a · (x − mean) / (std + eps) + b"),
  nnOp("mseLoss", "torch.nn.functional.mse_loss"),
  nnOp("l1Loss", "torch.nn.functional.l1_loss"),
  nnOp("smoothL1Loss", "torch.nn.functional.smooth_l1_loss"),
  nnOp("huberLoss", "torch.nn.functional.huber_loss"),
  nnOp("nllLoss", "torch.nn.functional.nll_loss"),
  nnOp("binaryCrossEntropy", "torch.nn.functional.binary_cross_entropy"),
  nnOp("binaryCrossEntropyWithLogits", "torch.nn.functional.binary_cross_entropy_with_logits"),
  nnOp("klDiv", "torch.nn.functional.kl_div"),
  nnOp("cosineEmbeddingLoss", "torch.nn.functional.cosine_embedding_loss"),

  // ---- layers and optimizers ----
  op("layers", "nn.mlp", "torchvision.ops.MLP / eqx.nn.MLP (Linear, activation, ..., Linear)", true, true),
  op("layers", "nn.sequential", "torch.nn.Sequential", false, true),
  op("layers", "nn.rmsNorm", "torch.nn.RMSNorm (torch 2.4)", true, true),
  op("layers", "nn.multiHeadAttention", "torch.nn.MultiheadAttention (nn.attention under its name)", true, true),
  op("layers", "nn.conv1d", "torch.nn.Conv1d (stride, padding, ... as apply's options)", true, true),
  op("layers", "nn.conv2d", "torch.nn.Conv2d (stride, padding, ... as apply's options)", true, true),
  op("layers", "nn.batchNorm", "torch.nn.BatchNorm1d/2d/3d (running statistics as explicit state)", true, true),
  op("optimizers", "sgdStep", "torch.optim.SGD (one tensor)", true, false),
  op("optimizers", "adagradStep", "torch.optim.Adagrad (one tensor)", true, false),
  op("optimizers", "rmspropStep", "torch.optim.RMSprop (one tensor)", true, false),
  op("optimizers", "lionStep", "lion_pytorch.Lion (one tensor; not in torch)", true, false),
];
