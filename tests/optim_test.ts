/** Optimizers, clipping and schedules against their definitions and, when present, torch.optim. */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import {
  adamHyper,
  adamStep,
  clipByGlobalNorm,
  mapTree,
  scope,
  slice,
  type Tensor,
  tensor,
  TorchError,
  values,
  zerosLike,
} from "../mod.ts";
import { adamInit, adamUpdate } from "../lib/optim/adam.ts";
import { clipGradNorm } from "../lib/optim/clip.ts";
import { constant, warmupInverseSqrt } from "../lib/optim/schedule.ts";
import { PYTHON, referenceAvailable } from "./helpers/reference.ts";

/** Adam by its definition, in f64 JS. */
function adamReference(
  p: number[],
  grads: number[][],
  o: { lr: number; b1: number; b2: number; eps: number; wd: number; decoupled: boolean },
) {
  let m = p.map(() => 0), v = p.map(() => 0), x = [...p];
  grads.forEach((g0, k) => {
    const t = k + 1;
    if (o.decoupled) x = x.map((xi) => xi * (1 - o.lr * o.wd));
    const g = o.decoupled ? g0 : g0.map((gi, i) => gi + o.wd * x[i]);
    m = m.map((mi, i) => o.b1 * mi + (1 - o.b1) * g[i]);
    v = v.map((vi, i) => o.b2 * vi + (1 - o.b2) * g[i] * g[i]);
    const mhat = m.map((mi) => mi / (1 - o.b1 ** t));
    const vhat = v.map((vi) => vi / (1 - o.b2 ** t));
    x = x.map((xi, i) => xi - o.lr * mhat[i] / (Math.sqrt(vhat[i]) + o.eps));
  });
  return x;
}

Deno.test("adam: three steps agree with the definition (Adam and AdamW), inputs untouched", () => {
  for (const decoupled of [false, true]) {
    scope(() => {
      const o = { lr: 0.1, b1: 0.9, b2: 0.98, eps: 1e-9, wd: 0.01, decoupled };
      const start = [1, -2, 0.5];
      const grads = [[0.3, -0.1, 2], [0.1, 0.2, -1], [-0.5, 0.4, 0.25]];
      let params = { w: tensor(start, [3], { dtype: "f64" }) };
      let state = adamInit(params);
      const first = params;
      for (const g of grads) {
        const r = adamUpdate(params, { w: tensor(g, [3], { dtype: "f64" }) }, state, {
          lr: o.lr,
          beta1: o.b1,
          beta2: o.b2,
          eps: o.eps,
          weightDecay: o.wd,
          decoupled,
        });
        params = r.params;
        state = r.state;
      }
      assert.equal(state.step, 3);
      const want = adamReference(start, grads, o);
      values(params.w).forEach((x, i) =>
        assert.ok(Math.abs(x - want[i]) < 1e-12, `${decoupled ? "AdamW" : "Adam"} ${x} vs ${want[i]}`)
      );
      assert.deepEqual(values(first.w), start, "the original parameters are unchanged");
    });
  }
});

Deno.test({
  name: "adam: bit-identical to torch.optim.Adam/AdamW (float32, live reference)",
  ignore: !referenceAvailable,
  fn() {
    const script = `
import torch, json
out = {}
for name, cls, kw in [("adam", torch.optim.Adam, dict(weight_decay=0.01)), ("adamw", torch.optim.AdamW, dict(weight_decay=0.01))]:
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5, 3.0]))
    opt = cls([p], lr=7e-4, betas=(0.9, 0.98), eps=1e-9, **kw)
    for g in [[0.3, -0.1, 2.0, 0.0], [0.1, 0.2, -1.0, 1e-3], [-0.5, 0.4, 0.25, -2.0]]:
        p.grad = torch.tensor(g)
        opt.step()
    out[name] = p.detach().tolist()
print(json.dumps(out))`;
    const { stdout, code } = new Deno.Command(PYTHON, { args: ["-c", script] }).outputSync();
    assert.equal(code, 0);
    const want = JSON.parse(new TextDecoder().decode(stdout));
    for (const decoupled of [false, true]) {
      scope(() => {
        let params = { p: tensor([1, -2, 0.5, 3], [4]) };
        let state = adamInit(params);
        for (const g of [[0.3, -0.1, 2, 0], [0.1, 0.2, -1, 1e-3], [-0.5, 0.4, 0.25, -2]]) {
          ({ params, state } = adamUpdate(params, { p: tensor(g, [4]) }, state, {
            lr: 7e-4,
            beta1: 0.9,
            beta2: 0.98,
            eps: 1e-9,
            weightDecay: 0.01,
            decoupled,
          }));
        }
        const ours = values(params.p);
        const theirs = want[decoupled ? "adamw" : "adam"].map(Math.fround);
        assert.deepEqual(ours, theirs, decoupled ? "AdamW" : "Adam");
      });
    }
  },
});

Deno.test({
  name: "adam: bit-identical to torch.optim.Adam on 100,003 elements (vector and tail paths, live reference)",
  ignore: !referenceAvailable,
  fn() {
    const n = 100_003; // not a multiple of any vector width: the tail runs the scalar path
    // Values over many magnitudes, so that eps and the square root both matter somewhere.
    const wave = (k: number, i: number) => Math.fround(Math.sin(i * 0.37 + k) * 10 ** ((i % 9) - 5));
    const start = Array.from({ length: n }, (_, i) => wave(0, i) * 1e4);
    const grads = [1, 2, 3].map((k) => Array.from({ length: n }, (_, i) => wave(k, i)));
    const dir = Deno.makeTempDirSync({ prefix: "adam_big_" });
    try {
      Deno.writeTextFileSync(`${dir}/in.json`, JSON.stringify({ start, grads }));
      const script = `
import torch, json, sys
d = json.load(open(sys.argv[1]))
p = torch.nn.Parameter(torch.tensor(d["start"], dtype=torch.float32))
opt = torch.optim.Adam([p], lr=7e-4, betas=(0.9, 0.98), eps=1e-9)
for g in d["grads"]:
    p.grad = torch.tensor(g, dtype=torch.float32)
    opt.step()
open(sys.argv[2], "wb").write(p.detach().numpy().tobytes())`;
      const { code, stderr } = new Deno.Command(PYTHON, { args: ["-c", script, `${dir}/in.json`, `${dir}/out.bin`] })
        .outputSync();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const theirs = new Float32Array(Deno.readFileSync(`${dir}/out.bin`).buffer);
      scope(() => {
        let params = { p: tensor(start, [n]) };
        let state = adamInit(params);
        for (const g of grads) {
          ({ params, state } = adamUpdate(params, { p: tensor(g, [n]) }, state, {
            lr: 7e-4,
            beta1: 0.9,
            beta2: 0.98,
            eps: 1e-9,
          }, { donate: true }));
        }
        const ours = values(params.p);
        const first = ours.findIndex((x, i) => !Object.is(x, theirs[i]));
        assert.equal(first, -1, `element ${first}: ours ${ours[first]}, torch ${theirs[first]}`);
      });
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

Deno.test("clipGradNorm: scales to the global norm bound, reports the norm, leaves small gradients", () => {
  scope(() => {
    const grads = { a: tensor([3, 0], [2], { dtype: "f64" }), b: [tensor([4], [1], { dtype: "f64" })] };
    const { grads: clipped, norm } = clipGradNorm(grads, 1);
    assert.equal(values(norm)[0], 5);
    const scale = 1 / (5 + 1e-6);
    assert.deepEqual(values(clipped.a), [3 * scale, 0]);
    assert.deepEqual(values(clipped.b[0]), [4 * scale]);
    assert.deepEqual(values(grads.a), [3, 0], "inputs unchanged");
    const loose = clipGradNorm(grads, 10);
    assert.deepEqual(values(loose.grads.a), [3, 0], "under the bound nothing changes");
    assert.throws(() => clipGradNorm(grads, 0), /maxNorm/);
  });
});

Deno.test("clipGradNorm donate: scales the donated gradients in place, a shared buffer only once", () => {
  scope(() => {
    const scale = 1 / (5 + 1e-6);
    const own = { a: tensor([3, 0], [2], { dtype: "f64" }), b: tensor([4], [1], { dtype: "f64" }) };
    const { grads: clipped } = clipGradNorm(own, 1, { donate: true });
    assert.deepEqual(values(clipped.a), [3 * scale, 0]);
    assert.deepEqual(values(own.a), [3 * scale, 0], "scaled where it lay");

    // One buffer given for two gradients (as autograd may do): norm √(3²+4²+3²+4²), scaled once.
    const shared = tensor([3, 4], [2], { dtype: "f64" });
    const twice = clipGradNorm({ x: shared, y: shared }, 1, { donate: true });
    const s2 = 1 / (Math.sqrt(50) + 1e-6);
    assert.deepEqual(values(twice.grads.x), [3 * s2, 4 * s2]);
    assert.deepEqual(values(twice.grads.y), [3 * s2, 4 * s2]);

    // Disjoint slices of one buffer (as a data-parallel step's bucketed gradients) are scaled in place;
    // overlapping ones, or a strided one beside another slice of its buffer, into fresh tensors.
    const bucket = tensor([3, 0, 4, 0], [4], { dtype: "f64" });
    const parts = { a: slice(bucket, 0, 0, 2), b: slice(bucket, 0, 2, 4) };
    const { grads: inPlace } = clipGradNorm(parts, 1, { donate: true });
    assert.deepEqual(values(inPlace.b), [4 * scale, 0]);
    assert.deepEqual(values(bucket), [3 * scale, 0, 4 * scale, 0], "the bucket itself was scaled");
    for (
      const [name, x, y] of [
        ["overlapping", (t: Tensor) => slice(t, 0, 0, 3), (t: Tensor) => slice(t, 0, 2, 4)],
        ["strided", (t: Tensor) => slice(t, 0, 0, 4, 2), (t: Tensor) => slice(t, 0, 1, 2)],
      ] as const
    ) {
      const buffer = tensor([3, 0, 4, 0], [4], { dtype: "f64" });
      const grads = { x: x(buffer), y: y(buffer) };
      const expected = [...values(grads.x), ...values(grads.y)];
      const norm = Math.hypot(...expected);
      const { grads: out } = clipGradNorm(grads, 1, { donate: true });
      assert.deepEqual([...values(out.x), ...values(out.y)], expected.map((v) => v / (norm + 1e-6)), name);
      assert.deepEqual(values(buffer), [3, 0, 4, 0], `${name}: the buffer was left alone`);
    }
  });
});

Deno.test("schedules: constant, and warmup then inverse square root", () => {
  assert.equal(constant(1e-4)(12345), 1e-4);
  const s = warmupInverseSqrt(7e-4, 1000);
  assert.ok(Math.abs(s(1) - 7e-7) < 1e-15);
  assert.ok(Math.abs(s(500) - 3.5e-4) < 1e-12);
  assert.equal(s(1000), 7e-4);
  assert.ok(Math.abs(s(4000) - 3.5e-4) < 1e-12);
  assert.throws(() => warmupInverseSqrt(1, 0), /warmup/);
});

Deno.test("adam donate: the same bits as the pure update, computed in the donated buffers", () => {
  scope(() => {
    const start = { a: tensor([1, -2, 0.5, 3], [4]), b: [tensor([[0.25, -1], [2, 4]], [2, 2])] };
    const grads = [
      { a: tensor([0.3, -0.1, 2, 0], [4]), b: [tensor([[1, 2], [-3, 0.5]], [2, 2])] },
      { a: tensor([0.1, 0.2, -1, 1e-3], [4]), b: [tensor([[-0.5, 0.25], [0, 1]], [2, 2])] },
    ];
    const config = { lr: 1e-2, beta1: 0.9, beta2: 0.98, eps: 1e-9, weightDecay: 0.01, decoupled: true };
    const copy = () => mapTree(start, (t) => tensor(values(t), t.shape as number[]));
    let pure = { params: copy(), state: adamInit(start) };
    let donated = { params: copy(), state: adamInit(start) };
    for (const g of grads) {
      const before = donated.params.a;
      pure = adamUpdate(pure.params, g, pure.state, config);
      const next = adamUpdate(donated.params, g, donated.state, config, { donate: true });
      // The donated parameter now holds the update: its memory was reused, not copied.
      assert.deepEqual(values(before), values(next.params.a));
      donated = { params: next.params, state: next.state };
    }
    for (const [x, y] of [[pure.params.a, donated.params.a], [pure.params.b[0], donated.params.b[0]]]) {
      assert.deepEqual(values(y), values(x));
    }
    assert.deepEqual(values(donated.state.v.a), values(pure.state.v.a));
    assert.deepEqual(values(start.a), [1, -2, 0.5, 3], "the copies were donated, not the originals");

    // Tied weights (one tensor at two paths) are one parameter: stepped once, and still tied after.
    for (const donate of [false, true]) {
      const shared = tensor([1, 2], [2]);
      const tied = { x: shared, y: shared };
      const sum = tensor([1, 1], [2]); // valueAndGrad gives every path of a tied tensor the summed gradient
      const alone = adamUpdate({ w: tensor([1, 2], [2]) }, { w: sum }, adamInit({ w: sum }), config);
      const next = adamUpdate(tied, { x: sum, y: sum }, adamInit(tied), config, { donate });
      assert.equal(next.params.x, next.params.y, `still one tensor (donate: ${donate})`);
      assert.deepEqual(values(next.params.x), values(alone.params.w), `stepped once, not twice (donate: ${donate})`);
      assert.equal(next.state.m.x, next.state.m.y);
    }
  });
});

Deno.test("adamStep: one parameter's step by the definition; adamHyper's defaults and checks; errors name the op", () => {
  scope(() => {
    const hyper = adamHyper({ lr: 0.1, weightDecay: 0.01 });
    assert.deepEqual(hyper, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: false });
    assert.throws(() => adamHyper({ lr: -1 }), RangeError);
    assert.throws(() => adamHyper({ lr: NaN }), /lr must be ≥ 0/);
    const w = tensor([1, -2, 0.5], [3], { dtype: "f64" });
    const g = tensor([0.3, -0.1, 2], [3], { dtype: "f64" });
    const [w1, m1, v1] = adamStep(w, g, zerosLike(w), zerosLike(w), hyper, 1);
    const want = adamReference([1, -2, 0.5], [[0.3, -0.1, 2]], {
      lr: 0.1,
      b1: 0.9,
      b2: 0.999,
      eps: 1e-8,
      wd: 0.01,
      decoupled: false,
    });
    values(w1).forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-12, `${x} vs ${want[i]}`));
    const decayed = [0.3 + 0.01 * 1, -0.1 + 0.01 * -2, 2 + 0.01 * 0.5];
    values(m1).forEach((x, i) => assert.ok(Math.abs(x - 0.1 * decayed[i]) < 1e-15));
    values(v1).forEach((x, i) => assert.ok(Math.abs(x - 0.001 * decayed[i] ** 2) < 1e-15));
    assert.deepEqual(values(w), [1, -2, 0.5], "not donated: the input is unchanged");
    const wrong: Tensor = tensor([1, 2], [2], { dtype: "f64" }); // not the parameter's shape
    assert.throws(
      () => adamStep(w, wrong as Tensor<[3]>, zerosLike(w), zerosLike(w), hyper, 1, false, "adam (w)"),
      (e: unknown) => e instanceof TorchError && e.op === "adam (w)" && /one shape/.test(e.detail),
    );
  });
});

Deno.test("clipByGlobalNorm: a list of tensors scaled to the bound, and the norm before", () => {
  scope(() => {
    const { scaled, norm } = clipByGlobalNorm([
      tensor([3], [1], { dtype: "f64" }),
      tensor([0, 4], [2], { dtype: "f64" }),
    ], 1);
    assert.equal(values(norm)[0], 5);
    const scale = 1 / (5 + 1e-6);
    assert.deepEqual(scaled.map((t) => values(t)), [[3 * scale], [0, 4 * scale]]);
    assert.throws(() => clipByGlobalNorm(scaled, -1), /clipByGlobalNorm: maxNorm must be > 0/);
    assert.throws(() => clipByGlobalNorm(scaled, 0, false, "clipGradNorm"), /^RangeError: clipGradNorm: maxNorm/);
  });
});
