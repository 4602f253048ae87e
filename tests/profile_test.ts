/** The native profiler behind `--profile`, and the FLOP count behind the hardware-efficiency figure. */
import assert from "node:assert/strict";
import { add, matmul, memory, ones, scope } from "../mod.ts";
import { formatProfile, profile } from "../lib/profile.ts";
import { stepMatmulFlops } from "../scripts/bench/train_run.ts";

Deno.test("profile: counts each native call, splits wall time, and is off afterwards", () => {
  const x = ones([64, 64]);
  try {
    const { result, report } = profile(() =>
      scope(() => {
        let y = x;
        for (let i = 0; i < 5; i++) y = add(y, 1);
        return matmul(y, y).shape;
      })
    );
    assert.deepEqual(result, [64, 64]);
    const calls = Object.fromEntries(report.byCall.map((c) => [c.name, c.calls]));
    assert.equal(calls.dt_add_scalar, 5);
    assert.equal(calls.dt_matmul, 1);
    assert.equal(calls.dt_free, 6, "the scope frees the 5 sums and the product");
    assert.equal(report.calls, report.byCall.reduce((s, c) => s + c.calls, 0));
    assert.ok(report.nativeMs > 0 && report.freeMs > 0);
    assert.ok(Math.abs(report.nativeMs + report.freeMs + report.jsMs - report.wallMs) < 1e-9);
    assert.ok(report.nativeMs + report.freeMs <= report.wallMs);
    assert.deepEqual(report.tensors, { before: memory().tensors, after: memory().tensors });
    assert.match(formatProfile(report), /native ops .*\n.*freeing .*\n.*JS \+ FFI .*12 native calls/s);

    // Off again: the next profile starts from zero and sees only its own calls.
    scope(() => {
      add(x, 1);
    });
    const again = profile(() =>
      scope(() => {
        add(x, 2);
      })
    ).report;
    assert.deepEqual(again.byCall.map((c) => [c.name, c.calls]).sort(), [["dt_add_scalar", 1], ["dt_free", 1]]);
  } finally {
    x.free();
  }
});

Deno.test("profile: an exception in the profiled function still turns profiling off", () => {
  assert.throws(() =>
    profile(() => {
      throw new Error("boom");
    }), /boom/);
  const { report } = profile(() => 1);
  assert.equal(report.calls, 0);
});

Deno.test("stepMatmulFlops: 3 × every forward matmul, enumerated by hand per head", () => {
  const d = 8, ff = 16, layers = 2, heads = 2, batch = 3, src = 5, tgt = 4, vocab = 11;
  const dk = d / heads;
  const mm = (m: number, k: number, n: number) => 2 * m * k * n;
  const s = batch * src, t = batch * tgt;
  let forward = 0;
  for (let l = 0; l < layers; l++) {
    // encoder: q, k, v, o projections; per head scores and mixing; two feed-forward linears
    forward += 4 * mm(s, d, d) + batch * heads * (mm(src, dk, src) + mm(src, src, dk)) + mm(s, d, ff) + mm(s, ff, d);
    // decoder self-attention, cross-attention (q, o on the target; k, v on the source), feed-forward
    forward += 4 * mm(t, d, d) + batch * heads * (mm(tgt, dk, tgt) + mm(tgt, tgt, dk));
    forward += 2 * mm(t, d, d) + 2 * mm(s, d, d) + batch * heads * (mm(tgt, dk, src) + mm(tgt, src, dk));
    forward += mm(t, d, ff) + mm(t, ff, d);
  }
  forward += mm(t, d, vocab);
  assert.equal(stepMatmulFlops({ dModel: d, layers, dFF: ff }, { batch, src, tgt, vocab }), 3 * forward);
});
