/**
 * A model written against mod.ts alone: a two-layer perceptron that learns XOR in about a second.
 * It shows the library's shape: parameters are a plain tree of tensors, the loss is a pure function,
 * `valueAndGrad` gives its gradients, Adam is a pure update, and scopes free every temporary.
 *
 *   deno run --allow-ffi --allow-env --allow-read examples/xor_mlp.ts
 *
 * From another project, import from the published URL instead of "../mod.ts".
 */
import {
  adamInit,
  adamUpdate,
  argmax,
  assume,
  cast,
  crossEntropy,
  eq,
  free,
  item,
  keep,
  linear,
  mean,
  memory,
  randn,
  rng,
  scope,
  splitKey,
  tanh,
  type Tensor,
  tensor,
  valueAndGrad,
} from "../mod.ts";

const HIDDEN = 16;

/** The model: a tree of tensors, named like torch.nn.Linear's state dict. */
function init(key = rng(0)) {
  const [k1, k2] = splitKey(key, 2);
  return {
    hidden: { weight: randn([HIDDEN, 2], k1), bias: tensor(Array(HIDDEN).fill(0)) },
    out: { weight: randn([2, HIDDEN], k2), bias: tensor([0, 0]) },
  };
}
type Params = ReturnType<typeof init>;

/** Logits [n, 2] for points [n, 2]. */
function forward(p: Params, x: Tensor<["n", 2]>): Tensor<["n", 2]> {
  const h = tanh(linear(x, p.hidden.weight, p.hidden.bias));
  return linear(h, p.out.weight, p.out.bias) as Tensor<["n", 2]>;
}

const loss = (p: Params, x: Tensor<["n", 2]>, y: Tensor<["n"]>) => crossEntropy(forward(p, x), y);

// The four corners of the unit square; the class is x₀ XOR x₁.
// `assume` names the batch dimension "n" at the type level; the ops check the real shapes at run time.
const x = assume<["n", 2]>(tensor([[0, 0], [0, 1], [1, 0], [1, 1]]));
const y = assume<["n"]>(tensor([0, 1, 1, 0], [4], { dtype: "i64" }));

let params = init();
let opt = adamInit(params);
const live = memory().tensors;
let last = NaN;
for (let step = 1; step <= 300; step++) {
  // Everything made inside the scope is freed at its end, except what it returns.
  const next = scope(() => {
    const { value, grads } = valueAndGrad(loss)(params, x, y);
    last = item(value);
    const { params: p, state } = adamUpdate(params, grads, opt, { lr: 0.05 });
    return { p, state };
  });
  free([params, opt.m, opt.v]);
  params = keep(next.p);
  opt = keep(next.state);
  if (step % 100 === 0) console.log(`step ${step}: loss ${last.toFixed(4)}`);
}
const accuracy = scope(() => item(mean(cast(eq(argmax(forward(params, x), 1), y), "f32"))));
console.log(JSON.stringify({ loss: last, accuracy, leakedTensors: memory().tensors - live }));
free([params, opt.m, opt.v, x, y]);
