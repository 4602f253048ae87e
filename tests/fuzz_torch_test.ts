/**
 * The differential fuzzer against PyTorch (scripts/fuzz/diff.ts) over a fixed-seed slice, its
 * comparer's ability to fail, and regressions for what it found. The slice needs Debian's
 * python3-torch at /usr/bin/python3 and is skipped, with a notice, where it is missing (as
 * ops_torch_crosscheck_test.ts is); the regressions and the comparer's tests need no Python.
 */
import assert from "node:assert";
import {
  adamHyper,
  adamStep,
  cast,
  expand,
  free,
  fromBytes,
  full,
  maximum,
  memory,
  minimum,
  nn,
  randn,
  rng,
  scaledDotProductAttention,
  scope,
  type Tensor,
  tensor,
  zeros,
} from "../mod.ts";
import { compareAll, drawCases, fuzzTorch, runOurs, torchAvailable } from "../scripts/fuzz/diff.ts";
import { compareTensor, type Outcome, toBase64, type WireTensor } from "../scripts/fuzz/diff_case.ts";
import { assertClose, values } from "./ops_helpers.ts";

const HAVE_TORCH = torchAvailable();
if (!HAVE_TORCH) {
  console.warn('fuzz_torch_test: the PyTorch slice is skipped: `/usr/bin/python3 -c "import torch"` failed');
}

/** The slice the CI runs: 4,000 calls (about 2 s), so that well over 2,000 are compared even if a few are rejected by both. */
const SLICE = { seed: 1, calls: 4000 };

Deno.test({
  name: "fuzz-torch: a fixed-seed 4,000-call slice agrees with PyTorch in dtype, shape and values, and leaks nothing",
  ignore: !HAVE_TORCH,
  async fn() {
    const before = memory().tensors;
    const s = await fuzzTorch(SLICE.seed, SLICE.calls);
    const lines = s.mismatches.slice(0, 20).map((m) => `#${m.call} ${m.op}: ${m.why}`).join("\n");
    assert.strictEqual(s.mismatches.length, 0, `mismatches against PyTorch:\n${lines}`);
    assert.ok(s.compared >= 2000, `only ${s.compared} of ${s.calls} calls were compared`);
    assert.ok(Object.keys(s.perOp).length >= 95, `only ${Object.keys(s.perOp).length} ops were drawn`);
    assert.strictEqual(s.leaked, 0, "the library's calls leaked tensors");
    assert.strictEqual(memory().tensors, before, "the live-tensor count changed");
  },
});

function wire(dtype: "f32" | "i64", shape: number[], xs: number[]): WireTensor {
  const bytes = dtype === "f32"
    ? new Uint8Array(new Float32Array(xs).buffer)
    : new Uint8Array(new BigInt64Array(xs.map(BigInt)).buffer);
  return { dtype, shape, data: toBase64(bytes) };
}

Deno.test("fuzz-torch: the comparer reports a wrong value, dtype, shape, NaN place, signed zero or a one-sided error", () => {
  const right = wire("f32", [3], [1, NaN, 0]);
  assert.strictEqual(compareTensor(right, wire("f32", [3], [1, NaN, 0]), "exact"), null);
  assert.match(compareTensor(wire("f32", [3], [1.5, NaN, 0]), right, "float")!, /element 0: 1.5, torch 1/);
  assert.match(compareTensor(wire("f32", [3], [1, 2, 0]), right, "float")!, /element 1/, "NaN must stay NaN");
  assert.match(compareTensor(wire("f32", [3], [1, NaN, -0]), right, "exact")!, /element 2: -0, torch 0/);
  assert.match(compareTensor(wire("i64", [3], [1, 0, 0]), right, "exact")!, /dtype i64, torch f32/);
  assert.match(compareTensor(wire("f32", [1, 3], [1, NaN, 0]), right, "exact")!, /shape \[1,3\], torch \[3\]/);
  // Within the float tolerance (8 f32 roundings) passes; ten times past it does not.
  const near = 1 + 4 * 2 ** -23, far = 1 + 160 * 2 ** -23;
  assert.strictEqual(compareTensor(wire("f32", [1], [near]), wire("f32", [1], [1]), "float"), null);
  assert.notStrictEqual(compareTensor(wire("f32", [1], [far]), wire("f32", [1], [1]), "float"), null);
});

Deno.test("fuzz-torch: a deliberately wrong result from our side is reported as a mismatch", () => {
  // Real cases and our real outcomes; "torch's" side is our outcome with one value changed.
  const cases = drawCases(7, 40, "add");
  const ours = cases.map(runOurs);
  const i = ours.findIndex((o) => o.ok && o.outputs[0].data.length > 0 && o.outputs[0].dtype === "f32");
  assert.ok(i >= 0, "the draw has an f32 add with elements");
  const theirs: Outcome[] = structuredClone(ours);
  const t = (theirs[i] as { outputs: WireTensor[] }).outputs[0];
  const changed = new Float32Array(1);
  changed[0] = 12345.5;
  const bytes = Uint8Array.from(atob(t.data), (c) => c.charCodeAt(0));
  bytes.set(new Uint8Array(changed.buffer), 0);
  t.data = toBase64(bytes);
  const s = compareAll(cases, ours, theirs);
  assert.strictEqual(s.mismatches.length, 1);
  assert.strictEqual(s.mismatches[0].call, cases[i].id);
  assert.match(s.mismatches[0].why, /element 0: .*torch 12345.5/);
  // And a side that rejects alone is a mismatch too.
  theirs[i] = { ok: false, error: "RuntimeError: x" };
  assert.match(compareAll(cases, ours, theirs).mismatches[0].why, /torch raised/);
});

Deno.test("maximum/minimum with a number: f16 works, a NaN number propagates, as with a 0-dim tensor (fuzz-torch seed 2)", () => {
  scope(() => {
    // Seed 2, call 691: once 'TorchError: minimum: "clamp_max_scalar_cpu" not implemented for 'Half''.
    const h = cast(tensor([1, -1, 0.25]), "f16");
    const hi = maximum(h, 0.5), lo = minimum(h, 0.5);
    assert.deepStrictEqual([hi.dtype, lo.dtype], ["f16", "f16"]);
    assert.deepStrictEqual(values(hi), [1, 0.5, 0.5]);
    assert.deepStrictEqual(values(lo), [0.5, -1, 0.25]);
    // torch.maximum returns a NaN operand; clamp, which these once were, ignored a NaN bound.
    const x = tensor([1, -2]);
    assert.deepStrictEqual(values(maximum(x, NaN)), [NaN, NaN]);
    assert.deepStrictEqual(values(minimum(x, NaN)), [NaN, NaN]);
    assert.deepStrictEqual(values(maximum(x, NaN)), values(maximum(x, full([], NaN))));
    // The result's dtype is still that of x op number: i32 stays i32 with an integral number, f32 with a fraction.
    const i = tensor(new Int32Array([1, 5]));
    assert.strictEqual(maximum(i, 3).dtype, "i32");
    assert.deepStrictEqual(values(maximum(i, 3)), [3, 5]);
    assert.strictEqual(minimum(i, 2.5).dtype, "f32");
    assert.deepStrictEqual(values(minimum(i, 2.5)), [1, 2.5]);
  });
});

Deno.test("scaledDotProductAttention in f64: a fully masked row averages the values on the fused path too (fuzz-torch seed 2)", () => {
  scope(() => {
    // Seed 2, call 1355: once the fused f64 path gave softmax of the row's scores (f64 keeps a score
    // beside -1e9, so the added mask did not make the row's scores equal), not the values' average.
    const q = tensor([0.3, -1.2, 2.0, 0.7], [1, 2, 2], { dtype: "f64" });
    const k = tensor([1.0, 0.5, -0.4, 2.2, 0.9, -1.5], [1, 3, 2], { dtype: "f64" });
    const v = tensor([1, 2, 4], [1, 3, 1], { dtype: "f64" });
    const mask = tensor([false, false, false, true, false, true], [2, 3], { dtype: "bool" });
    // Row 1 may attend to keys 0 and 2: softmax of their scaled scores, computed here.
    const score = (j: number) => (2.0 * [1.0, -0.4, 0.9][j] + 0.7 * [0.5, 2.2, -1.5][j]) / Math.sqrt(2);
    const [e0, e2] = [Math.exp(score(0)), Math.exp(score(2))];
    const expected = [(1 + 2 + 4) / 3, (e0 * 1 + e2 * 4) / (e0 + e2)];
    for (const fused of [true, false]) {
      assertClose(scaledDotProductAttention(q, k, v, { mask, fused }), expected, `fused: ${fused}`, {
        atol: 1e-12,
        rtol: 1e-12,
      });
    }
  });
});

Deno.test("fromBytes: bool bytes cast to another dtype are 0/1, not the bytes' values (fuzz-torch seed 1)", () => {
  scope(() => {
    // Seed 1, call 60: once 248 where torch (and the doc: "any non-zero byte is true") gives 1.
    const bytes = new Uint8Array([0, 2, 255, 1]);
    for (const castTo of ["f32", "i64", "bf16", "bool"] as const) {
      const t = fromBytes(bytes, "bool", [4], { castTo });
      assert.strictEqual(t.dtype, castTo);
      assert.deepStrictEqual(values(t), [0, 1, 1, 1], castTo);
    }
  });
});

Deno.test("adamStep with donate: a parameter or moment that cannot be written in place gets a fresh result (fuzz-torch seed 1)", () => {
  scope(() => {
    // Seed 1, call 1045: once "TorchError: adam: unsupported operation: more than one element of the
    // written-to tensor refers to a single memory location" for a donated stride-0 (expanded) tensor.
    const hyper = adamHyper({ lr: 0.1 });
    const grad = [0.5, -2, 4];
    const g = tensor(grad, [3]);
    // Step 1 from zero moments, by Adam's formulas: m = (1-β1)g, v = (1-β2)g², p - lr·m̂/(√v̂ + ε).
    const adam1 = (p: number, gi: number) => {
      const m = 0.1 * gi, v = 0.001 * gi * gi;
      return p - 0.1 * (m / 0.1) / (Math.sqrt(v / 0.001) + 1e-8);
    };
    const expected = grad.map((gi) => adam1(1, gi));
    const param = expand(tensor([1], [1]), [3]);
    const zeroM = expand(tensor([0], [1]), [3]);
    const [p1, m1, v1] = adamStep(param, g, zeroM, zeros([3]), hyper, 1, true);
    assertClose(p1, expected, "donated expanded param", { atol: 1e-6, rtol: 1e-6 });
    assertClose(m1, grad.map((gi) => 0.1 * gi), "donated expanded m", { atol: 1e-6, rtol: 1e-6 });
    assertClose(v1, grad.map((gi) => 0.001 * gi * gi), "v", { atol: 1e-6, rtol: 1e-6 });
  });
});

Deno.test("nn.attention.apply outside any scope leaves only its result alive (fuzz-torch: 13 intermediates a call)", () => {
  const layer = nn.attention.init(rng(0), 8, { bias: true });
  const x = randn([2, 3, 8], rng(1)), memorySeq = randn([2, 5, 8], rng(2));
  const mask = tensor([true, false, true, true, true], [1, 5], { dtype: "bool" });
  const live = () => memory().tensors;
  const check = (what: string, run: () => Tensor, alsoAlive = 0) => {
    const before = live();
    const out = run();
    assert.deepStrictEqual(out.shape, [2, 3, 8], what);
    assert.strictEqual(live(), before + 1 + alsoAlive, `${what}: only the result may stay alive`);
    out.free();
  };
  check("self-attention", () => nn.attention.apply(layer, x, x, 2));
  check("cross-attention with a mask", () => nn.attention.apply(layer, x, memorySeq, 4, { mask }));
  // Keys and values from a function are the caller's (a cache keeps them); here they stay alive, and are freed after.
  let kv: nn.attention.KeyValues | null = null;
  check(
    "keys and values from a function",
    () => nn.attention.apply(layer, x, (project) => (kv = project(memorySeq)), 2),
    2,
  );
  free(kv);
  // Observed probabilities are the observer's: they stay alive for it (attention maps read them after the call).
  const seen: Tensor[] = [];
  check("observed", () => nn.attention.apply(layer, x, memorySeq, 2, { observe: (p) => seen.push(p) }), 1);
  assert.deepStrictEqual(seen[0].shape, [2, 2, 3, 5]);
  free([seen, layer, x, memorySeq, mask]);
});
