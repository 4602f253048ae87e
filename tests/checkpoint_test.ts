/**
 * checkpoint(f) (issue 17): the gradients equal the uncheckpointed ones (bit for bit for a chain of
 * layers, dropout included; to rounding where a tensor feeds several segments), the activations are
 * not kept, odd arguments and results work, and nothing leaks, errors included.
 */
import assert from "node:assert/strict";
import { sym } from "../ffi/lib.ts";
import {
  add,
  cast,
  checkpoint,
  dropout,
  layerNorm,
  linear,
  memory,
  mul,
  noGrad,
  randn,
  rng,
  scope,
  sum,
  tanh,
  type Tensor,
  TorchError,
  treeLeaves,
  valueAndGrad,
  vjp,
} from "../mod.ts";
import { values } from "./helpers/finite_diff.ts";

function leakFree(name: string, body: () => void): void {
  Deno.test(name, () => {
    const before = memory().tensors;
    scope(body);
    assert.equal(memory().tensors, before, "live tensors after the test");
  });
}

type Layer = { w: Tensor; b: Tensor; g: Tensor; beta: Tensor };
type Params = { layers: Layer[]; head: Tensor };

function initParams(width: number, depth: number, seed: number, dtype: "f32" | "f64" = "f32"): Params {
  const r = (shape: number[], s: number) => mul(randn(shape, rng(seed * 100 + s), { dtype }), 0.5);
  return {
    layers: Array.from({ length: depth }, (_, i) => ({
      w: r([width, width], 4 * i),
      b: r([width], 4 * i + 1),
      g: add(r([width], 4 * i + 2), 1),
      beta: r([width], 4 * i + 3),
    })),
    head: r([width], 99),
  };
}

/** A pre-norm residual block with dropout drawn from an explicit key. */
function block(p: Layer, x: Tensor, key: number): Tensor {
  const h = tanh(linear(layerNorm(x, p.g, p.beta), p.w as never, p.b));
  return add(x, dropout(h, 0.2, rng(key)));
}

/** The loss of a stack of blocks, each run through `wrap` (identity, or checkpoint). */
function stackLoss(wrap: (f: typeof block) => typeof block, x: Tensor) {
  const run = wrap(block);
  return (p: Params) => {
    let h = x;
    p.layers.forEach((layer, i) => h = scope(() => run(layer, h, 1000 + i)));
    return sum(mul(tanh(h), p.head));
  };
}

/** What a test wraps its segments in: the identity, or checkpoint. */
type Wrap = <F extends (...args: never[]) => unknown>(f: F) => F;
const identity: Wrap = (f) => f;
const ck = checkpoint as unknown as Wrap;

function assertBitEqual(a: unknown, b: unknown, what: string): void {
  const xs = treeLeaves(a), ys = treeLeaves(b);
  assert.equal(xs.length, ys.length);
  xs.forEach((x, i) => assert.deepEqual(values(ys[i]), values(x), `${what}: leaf ${i} differs`));
}

leakFree("checkpoint: a chain of blocks (layer norm, dropout, residual) gets bit-identical loss and gradients", () => {
  const params = initParams(16, 4, 1);
  const x = randn([6, 16], rng(7));
  const plain = valueAndGrad(stackLoss(identity, x))(params);
  const ckpt = valueAndGrad(stackLoss(checkpoint, x))(params);
  assert.deepEqual(values(ckpt.value), values(plain.value));
  assertBitEqual(plain.grads, ckpt.grads, "grads");
});

leakFree("checkpoint: the layers' params passed as one tree argument, and results as a tree", () => {
  const params = initParams(8, 3, 2);
  const x = randn([4, 8], rng(8));
  const twoWay = (p: Layer, s: { x: Tensor }) => ({ x: block(p, s.x, 5), side: sum(s.x) });
  const loss = (wrap: Wrap) => (p: Params) => {
    let state: { x: Tensor } = { x };
    let sides: Tensor | null = null;
    for (const layer of p.layers) {
      const out = wrap(twoWay)(layer, state);
      state = { x: out.x };
      sides = sides === null ? out.side : add(sides, out.side);
    }
    return add(sum(mul(state.x, p.head)), sides!);
  };
  const plain = valueAndGrad(loss(identity))(params);
  const ckpt = valueAndGrad(loss(ck))(params);
  assert.deepEqual(values(ckpt.value), values(plain.value));
  assertBitEqual(plain.grads, ckpt.grads, "grads");
});

leakFree("checkpoint: a tensor feeding several segments and residuals across segments (f64, to rounding)", () => {
  const params = initParams(8, 4, 3, "f64");
  const x = randn([5, 8], rng(9), { dtype: "f64" });
  // `memory` feeds every later block (as the encoder output feeds each decoder layer), and each
  // block's input is the sum of the two previous outputs (a root that is not a segment's result).
  const cross = (p: Layer, h: Tensor, memory: Tensor, key: number) => add(block(p, h, key), mul(tanh(memory), 0.1));
  const loss = (wrap: Wrap) => (p: Params) => {
    const memory = tanh(linear(x, p.layers[0].w as never));
    let prev: Tensor = x, h: Tensor = x;
    p.layers.forEach((layer, i) => {
      const next = wrap(cross)(layer, add(h, mul(prev, 0.5)), memory, 20 + i);
      prev = h;
      h = next;
    });
    return sum(mul(h, p.head));
  };
  const plain = valueAndGrad(loss(identity))(params);
  const ckpt = valueAndGrad(loss(ck))(params);
  assert.deepEqual(values(ckpt.value), values(plain.value));
  const a = treeLeaves(plain.grads).flatMap(values), b = treeLeaves(ckpt.grads).flatMap(values);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-13 * (1 + Math.abs(v)), `element ${i}: ${b[i]} vs ${v}`));
});

leakFree("checkpoint: f may close over the parameters and return integer results, which get no leaf", () => {
  const params = initParams(8, 2, 4, "f64");
  const x = randn([3, 8], rng(10), { dtype: "f64" });
  const loss = (wrap: Wrap) => (p: Params) => {
    const step = wrap((h: Tensor) => [tanh(linear(h, p.layers[0].w as never)), cast(h, "i64")] as const);
    const [h1, ids] = step(x);
    assert.equal(ids.dtype, "i64");
    assert.equal(ids.requiresGrad, false);
    const [h2] = step(h1);
    return sum(mul(h2, p.head));
  };
  const plain = valueAndGrad(loss(identity))(params);
  const ckpt = valueAndGrad(loss(ck))(params);
  assertBitEqual(plain.grads, ckpt.grads, "grads");
});

leakFree("checkpoint: outside valueAndGrad, in noGrad and in vjp it simply runs f", () => {
  const params = initParams(8, 1, 5);
  const x = randn([2, 8], rng(11));
  const f = checkpoint((p: Layer, h: Tensor) => block(p, h, 3));
  const direct = block(params.layers[0], x, 3);
  assert.deepEqual(values(f(params.layers[0], x)), values(direct));
  assert.deepEqual(values(noGrad(() => f(params.layers[0], x))), values(direct));
  const { vjpFn } = vjp((h: Tensor) => f(params.layers[0], h), x);
  const viaCheckpoint = vjpFn(direct);
  const { vjpFn: plainFn } = vjp((h: Tensor) => block(params.layers[0], h, 3), x);
  assert.deepEqual(values(viaCheckpoint), values(plainFn(direct)));
});

leakFree("checkpoint: an impure f is caught when it returns other results the second time", () => {
  const params = initParams(4, 1, 6);
  let calls = 0;
  const impure = checkpoint((h: Tensor) => (calls++ === 0 ? tanh(h) : sum(h)));
  const f = valueAndGrad((p: Params) => sum(mul(impure(p.head), p.head)));
  assert.throws(
    () => f(params),
    (e) => e instanceof TorchError && /^checkpoint: f returned different results when run again/.test(e.message),
  );
});

leakFree("checkpoint: errors in f, forward or recomputed, and after it, leave nothing behind", () => {
  const params = initParams(4, 1, 7);
  const throwing = checkpoint((_h: Tensor): Tensor => {
    throw new RangeError("boom");
  });
  assert.throws(() => valueAndGrad((p: Params) => throwing(p.head))(params), RangeError);
  const fine = checkpoint((h: Tensor) => tanh(h));
  assert.throws(() => valueAndGrad((p: Params) => fine(p.head))(params), /f must return a scalar loss/);
  let calls = 0;
  const laterThrows = checkpoint((h: Tensor) => {
    if (calls++ > 0) throw new RangeError("recompute");
    return tanh(h);
  });
  assert.throws(() => valueAndGrad((p: Params) => sum(laterThrows(p.head)))(params), /recompute/);
});

Deno.test("checkpoint: the activations are not kept: live large buffers after the forward pass", () => {
  const stats = new Float64Array(5);
  const liveLarge = () => (sym.dt_allocator_stats(stats), stats[0]);
  if (liveLarge() === 0 && Deno.env.get("DENO_TORCH_MALLOC") === "system") {
    console.warn("note: DENO_TORCH_MALLOC=system keeps no allocator statistics; skipped");
    return;
  }
  // [512, 1024] f32 activations are 2 MiB each, above the allocator's 1 MiB threshold.
  scope(() => {
    const params = initParams(1024, 4, 8);
    const x = randn([512, 1024], rng(12));
    const heldAfterForward = (wrap: Wrap) => {
      let held = 0;
      const base = liveLarge();
      valueAndGrad((p: Params) => {
        const loss = stackLoss(wrap, x)(p);
        held = liveLarge() - base;
        return loss;
      })(params);
      return held;
    };
    const plain = heldAfterForward(identity);
    const ckpt = heldAfterForward(ck);
    const mib = 2 ** 20;
    // Plain keeps each block's layer-norm output, pre-activation, tanh output, dropout mask and sum
    // (~5 × 2 MiB × 4 blocks); checkpointed only each block's output (4 × 2 MiB) and the last tanh.
    assert.ok(plain >= 30 * mib, `plain keeps ${plain / mib} MiB`);
    assert.ok(ckpt <= 14 * mib, `checkpointed keeps ${ckpt / mib} MiB`);
  });
});
