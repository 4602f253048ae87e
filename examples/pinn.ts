/**
 * A physics-informed network written against mod.ts alone: it learns u on [0, 1] with
 *
 *   u''(x) = -π² sin(πx),   u(0) = u(1) = 0,
 *
 * whose solution is u(x) = sin(πx), from the equation alone: no sample of u is ever shown to it. The
 * loss needs u'' of the network with respect to its input, a gradient of a gradient, and training
 * differentiates that loss once more, with respect to the weights: three transforms nested.
 *
 *   deno run --allow-ffi --allow-env --allow-read examples/pinn.ts [--steps N]
 *
 * After 1,500 Adam steps (seconds) its largest error against sin(πx), on 101 points of [0, 1], is below 0.002.
 * From another project, import from the published URL instead of "../mod.ts".
 */
import {
  abs,
  adamInit,
  adamUpdate,
  add,
  free,
  grad,
  item,
  keep,
  linear,
  max,
  mean,
  memory,
  mul,
  namedKeys,
  nn,
  noGrad,
  rng,
  scope,
  sin,
  square,
  sub,
  sum,
  tanh,
  type Tensor,
  tensor,
  valueAndGrad,
} from "../mod.ts";

// ---- the network: u(x) = linear(tanh(linear(tanh(linear(x))))), 1 → 32 → 32 → 1 ----
function init(key = rng(0)) {
  const k = namedKeys(key, ["l0", "l1", "l2"]);
  return { l0: nn.linear.init(k.l0, 1, 32), l1: nn.linear.init(k.l1, 32, 32), l2: nn.linear.init(k.l2, 32, 1) };
}
type Params = ReturnType<typeof init>;

/** u at points x [n, 1]. */
const u = (p: Params, x: Tensor) =>
  linear(tanh(linear(tanh(linear(x, p.l0.weight, p.l0.bias)), p.l1.weight, p.l1.bias)), p.l2.weight, p.l2.bias);

// Each u(xᵢ) depends on xᵢ alone, so the gradient of Σ u(xᵢ) with respect to x is u'(xᵢ) at every
// point, and the gradient of Σ u'(xᵢ) is u''(xᵢ).
const du = (p: Params) => grad((x: Tensor) => sum(u(p, x)));
const d2u = (p: Params) => grad((x: Tensor) => sum(du(p)(x)));

/** The equation's residual at the collocation points, and the boundary conditions. */
function loss(p: Params, x: Tensor): Tensor {
  const residual = add(d2u(p)(x), mul(sin(mul(x, Math.PI)), Math.PI * Math.PI)); // u'' + π² sin(πx)
  const boundary = u(p, tensor([[0], [1]]));
  return add(mean(square(residual)), mean(square(boundary)));
}

// ---- training: one flat loop over fixed collocation points ----
const steps = Number(Deno.args[Deno.args.indexOf("--steps") + 1] ?? 0) || 1500;
const points = tensor(Array.from({ length: 64 }, (_, i) => [(i + 0.5) / 64]), [64, 1]);
let params = init();
let opt = adamInit(params);
const live = memory().tensors;
const started = performance.now();
let last = NaN;
for (let step = 1; step <= steps; step++) {
  // the loss (two input derivatives inside), its gradient for the weights, the update
  const next = scope(() => {
    const { value, grads } = valueAndGrad(loss)(params, points);
    last = item(value);
    const { params: p, state } = adamUpdate(params, grads, opt, { lr: step < 1000 ? 3e-3 : 1e-3 });
    return { p, state };
  });
  free([params, opt.m, opt.v]);
  params = keep(next.p);
  opt = keep(next.state);
  if (step % 500 === 0) console.log(`step ${step}: loss ${last.toExponential(3)}`);
}
const seconds = (performance.now() - started) / 1000;
const maxError = scope(() =>
  noGrad(() => {
    const grid = tensor(Array.from({ length: 101 }, (_, i) => [i / 100]), [101, 1]);
    return item(max(abs(sub(u(params, grid), sin(mul(grid, Math.PI))))));
  })
);
console.log(JSON.stringify({ loss: last, maxError, seconds, leakedTensors: memory().tensors - live }));
free([params, opt.m, opt.v, points]);
