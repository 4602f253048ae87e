/** Memory: scopes free what they should, keep what they return, and a training-like loop stays flat. */
import assert from "node:assert/strict";
import {
  add,
  crossEntropy,
  embedding,
  free,
  FreedTensorError,
  item,
  keep,
  layerNorm,
  linear,
  memory,
  mul,
  noGrad,
  ones,
  randint,
  randn,
  relu,
  reshape,
  rng,
  scope,
  splitKey,
  sub,
  type Tensor,
  tensor,
  valueAndGrad,
  values,
  zeros,
} from "../mod.ts";

Deno.test("memory: scope frees temporaries and hands back its result", () => {
  const before = memory().tensors;
  const kept = scope(() => {
    const a = ones([3]);
    const b = add(a, a);
    mul(b, b); // garbage
    return { out: add(b, 1), list: [b] };
  });
  assert.equal(memory().tensors, before + 2, "only the two returned tensors survive");
  assert.deepEqual(values(kept.out), [3, 3, 3]);
  free(kept);
  assert.equal(memory().tensors, before);
  assert.ok(kept.out.freed && kept.list[0].freed);
});

Deno.test("memory: nested scopes move survivors to the parent, which frees them", () => {
  const before = memory().tensors;
  scope(() => {
    const inner = scope(() => {
      zeros([4]);
      return ones([2]);
    });
    assert.equal(memory().tensors, before + 1);
    assert.equal(inner.owner !== null, true, "the survivor now belongs to the outer scope");
  });
  assert.equal(memory().tensors, before);
});

Deno.test("memory: a scope that throws frees everything it made", () => {
  const before = memory().tensors;
  assert.throws(() =>
    scope(() => {
      ones([5]);
      throw new Error("boom");
    }), /boom/);
  assert.equal(memory().tensors, before);
});

Deno.test("memory: keep() lifts a tensor out of its scope; using frees at block end", () => {
  const before = memory().tensors;
  const kept = scope(() => keep(ones([2])));
  assert.equal(memory().tensors, before + 1);
  {
    using t = kept;
    assert.equal(t.size, 2);
  }
  assert.equal(memory().tensors, before);
  assert.throws(() => add(kept, 1), FreedTensorError);
});

Deno.test("memory: bytes are counted per live tensor", () => {
  const before = memory();
  const t = zeros([10, 10], { dtype: "f64" });
  assert.equal(memory().bytes - before.bytes, 800);
  t.free();
  assert.deepEqual(memory(), before);
});

Deno.test("memory: a scope rejects async functions instead of leaking", () => {
  const before = memory().tensors;
  assert.throws(() => scope(() => Promise.resolve(1)), /synchronous/);
  assert.equal(memory().tensors, before);
});

type Params = { emb: { weight: Tensor }; norm: { alpha: Tensor; bias: Tensor }; out: { weight: Tensor; bias: Tensor } };

function loss(p: Params, ids: Tensor, target: Tensor): Tensor {
  const x = embedding(p.emb.weight as Tensor<[number, number]>, ids);
  const h = relu(layerNorm(x, p.norm.alpha, p.norm.bias));
  const logits = linear(h, p.out.weight, p.out.bias);
  return crossEntropy(reshape<[number, number]>(logits, [-1, 11]), reshape<[number]>(target, [-1]), {
    labelSmoothing: 0.1,
    ignoreIndex: 1,
  });
}

Deno.test("memory: 1,000 forward+backward steps in scopes leave memory() where it started", () => {
  const [k1, k2, k3, k4] = splitKey(rng(7), 4);
  let params: Params = keep({
    emb: { weight: randn([11, 8], k1) },
    norm: { alpha: ones([8]), bias: zeros([8]) },
    out: { weight: randn([11, 8], k2), bias: zeros([11]) },
  });
  const ids = keep(randint(0, 11, [4, 6], k3));
  const target = keep(randint(0, 11, [4, 6], k4));
  const step = valueAndGrad(loss);
  const start = memory();
  let first = 0;
  let last = 0;
  for (let i = 0; i < 1000; i++) {
    const next = scope(() => {
      const { value, grads } = step(params, ids, target);
      if (i === 0) first = item(value);
      if (i === 999) last = item(value);
      // plain SGD, as a pure update of the tree
      return noGrad(() => ({
        emb: { weight: sub(params.emb.weight, mul(grads.emb.weight, 0.05)) },
        norm: {
          alpha: sub(params.norm.alpha, mul(grads.norm.alpha, 0.05)),
          bias: sub(params.norm.bias, mul(grads.norm.bias, 0.05)),
        },
        out: {
          weight: sub(params.out.weight, mul(grads.out.weight, 0.05)),
          bias: sub(params.out.bias, mul(grads.out.bias, 0.05)),
        },
      }));
    });
    free(params);
    params = keep(next);
  }
  assert.deepEqual(memory(), start, "live tensors and bytes are exactly where they started");
  assert.ok(last < first, `training made progress (loss ${first} → ${last})`);
  free([params, ids, target]);
});

Deno.test("memory: tensors created outside any scope are kept and can be freed by hand", () => {
  const before = memory().tensors;
  const t = tensor([1, 2, 3]);
  assert.equal(memory().tensors, before + 1);
  t.free();
  t.free(); // idempotent
  assert.equal(memory().tensors, before);
});

const gc = (globalThis as { gc?: () => void }).gc;

Deno.test({
  name: "memory: the GC safety net frees kept tensors that became unreachable",
  ignore: gc === undefined, // needs --v8-flags=--expose-gc, as `deno task test` passes
  async fn() {
    const before = memory().tensors;
    (() => {
      for (let i = 0; i < 100; i++) zeros([10]);
    })();
    assert.equal(memory().tensors, before + 100);
    for (let i = 0; i < 50 && memory().tensors > before; i++) {
      gc!();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(memory().tensors, before);
  },
});
