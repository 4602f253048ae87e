/**
 * Robustness of the native shim and its thin wrappers: calls that used to crash the process, read
 * out of bounds, always fail or leak handles on their error paths. Each case checks values computed
 * by hand (or by the same op in f32) and that a failing call leaves the live-tensor count unchanged.
 */
import assert from "node:assert/strict";
import { sym } from "../ffi/lib.ts";
import { freePort } from "../lib/dist.ts";
import {
  adamHyper,
  adamStep,
  add,
  attentionProbs,
  cast,
  clipGradNorm,
  full,
  layerNorm,
  matmul,
  memory,
  mul,
  randn,
  rng,
  scaledDotProductAttention,
  scope,
  ShapeError,
  sum,
  type Tensor,
  tensor,
  topk,
  TorchError,
  valueAndGrad,
  values,
} from "../mod.ts";
import { handleOf } from "../lib/tensor.ts";
import { leakAtAnyFailure } from "./helpers/fault.ts";
import { near } from "./helpers/near.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);

/** Runs a scenario of tests/robustness_native_worker.ts in a one-rank group, in its own process. */
async function oneRank(scenario: string) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-env", "--allow-read", "tests/robustness_native_worker.ts", scenario],
    cwd: ROOT,
    env: { MASTER_PORT: String(freePort()), DENO_TORCH_THREADS: "1" },
  }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, `the worker exited with ${code} (139: a segfault): ${text.decode(stderr)}`);
  return JSON.parse(text.decode(stdout));
}

Deno.test("valueAndGradAllReduced: a loss that is itself a parameter has gradient 1 (no crash)", async () => {
  assert.deepEqual(await oneRank("leaf-loss"), { value: [2.5], w: [1] });
});

Deno.test("layerNorm: a 0-dim x is a ShapeError naming x, and the native op refuses it too", () => {
  scope(() => {
    const x = full([], 3);
    const before = memory().tensors;
    assert.throws(() => layerNorm(x), (e) => e instanceof ShapeError && /\bx\b.*0-dim/.test(e.message));
    assert.equal(memory().tensors, before);
    // Straight to the shim, past the TypeScript check: an error, not a read before the sizes array.
    assert.equal(sym.dt_layer_norm(handleOf(x, "test"), 1, null, null, 1e-5), null);
    const message = Deno.UnsafePointerView.getCString(sym.dt_last_error()!);
    assert.match(message, /layer_norm: x needs at least 1 dimension/);
    assert.equal(memory().tensors, before);
  });
});

/** Max |a − b| over two equally long lists. */
function maxDiff(a: number[], b: number[]): number {
  assert.equal(a.length, b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i])));
}

/** Whether this libtorch multiplies f16 matrices on the CPU (Debian's 1.13 does not: "not implemented for 'Half'"). */
function cpuHasHalfMatmul(): boolean {
  return scope(() => {
    try {
      const x = cast(full([2, 2], 1), "f16");
      matmul(x, x);
      return true;
    } catch (e) {
      if (e instanceof TorchError && /not implemented for 'Half'/.test(e.message)) return false;
      throw e;
    }
  });
}

/** q, k, v [2, 4, 8] in `dtype` and a mask whose row 0 is fully masked (it averages the values) and row r sees keys ≤ r. */
function attentionInputs(dtype: "f16" | "bf16") {
  const [q, k, v] = [0, 1, 2].map((i) => cast(randn([2, 4, 8], rng(i)), dtype));
  const mask = tensor(Array.from({ length: 16 }, (_, i) => (i >> 2) > 0 && (i & 3) <= (i >> 2)), [1, 4, 4]);
  return { q, k, v, mask };
}

for (const [dtype, tol] of [["f16", 4e-3], ["bf16", 3e-2]] as const) {
  // Half precision keeps ~3 decimal digits (f16: 2^-11 relative), bf16 ~2 (2^-8); the outputs are
  // averages of values of size ~1, so their error is a few units of the last place. The f32 results
  // come from the same rounded inputs, so only the arithmetic differs.
  Deno.test({
    name: `attention in ${dtype} with a mask (fused and not) agrees with f32 within ${tol}`,
    ignore: dtype === "f16" && !cpuHasHalfMatmul(),
    fn: () =>
      scope(() => {
        const { q, k, v, mask } = attentionInputs(dtype);
        const f32 = (t: Tensor) => cast(t, "f32");
        const expected = values(scaledDotProductAttention(f32(q), f32(k), f32(v), { mask, fused: false }));
        for (const fused of [true, false]) {
          const got = scaledDotProductAttention(q, k, v, { mask, fused });
          assert.equal(got.dtype, dtype);
          const diff = maxDiff(values(f32(got)), expected);
          assert.ok(diff <= tol, `fused ${fused}: max difference ${diff} > ${tol}`);
        }
        const probs = values(f32(attentionProbs(q, k, mask)));
        assert.ok(maxDiff(probs, values(attentionProbs(f32(q), f32(k), mask))) <= tol);
        for (let i = 0; i < 4; i++) near(probs[i], 0.25, `fully masked row, entry ${i}`, 0);
      }),
  });
}

Deno.test("f16 attention with a mask never fails filling the mask (-1e9 overflows f16)", () => {
  // Where this libtorch has no f16 CPU matmul, the fused path still builds the additive mask first:
  // it must get past that to libtorch's missing kernel, and the unfused path must do no worse.
  scope(() => {
    const { q, k, v, mask } = attentionInputs("f16");
    const calls = [
      () => scaledDotProductAttention(q, k, v, { mask }),
      () => scaledDotProductAttention(q, k, v, { mask, fused: false }),
      () => attentionProbs(q, k, mask),
    ];
    for (const call of calls) {
      try {
        call();
      } catch (e) {
        assert.ok(e instanceof TorchError && /not implemented for 'Half'/.test(e.message), String(e));
      }
    }
  });
});

Deno.test("clipGradNorm with donate scales the stride-0 gradients of sum(w) (into a copy)", () => {
  scope(() => {
    const { grads } = valueAndGrad((p: { w: Tensor; u: Tensor }) => add(sum(p.w), sum(mul(p.u, p.u))))({
      w: tensor([5, -1, 7], [3]),
      u: tensor([1.5, 2], [2]),
    });
    // dw = [1, 1, 1] (one expanded element), du = 2u = [3, 4]: norm √(3 + 9 + 16) = √28.
    const { grads: clipped, norm } = clipGradNorm(grads, 1, { donate: true });
    near(values(norm)[0], Math.sqrt(28), "norm", 1e-6);
    const coef = 1 / (Math.sqrt(28) + 1e-6);
    values(clipped.w).forEach((g, i) => near(g, coef, `w[${i}]`, 1e-6));
    values(clipped.u).forEach((g, i) => near(g, [3, 4][i] * coef, `u[${i}]`, 1e-6));
  });
});

Deno.test("ops with several outputs leave the live count unchanged when any output fails", () => {
  scope(() => {
    const x = tensor([3, 1, 4, 1, 5, 9], [2, 3]);
    const w = tensor([1, -2], [2]), g = tensor([0.5, 0.5], [2]), m = tensor([0, 0], [2]), v = tensor([0, 0], [2]);
    const hyper = adamHyper({ lr: 0.1 });
    const params = { a: tensor([1, 2], [2]), b: tensor([3], [1]) };
    const gradOf = valueAndGrad((p: typeof params) => sum(mul(p.a, p.a)));
    const cases: Record<string, () => unknown> = {
      topk: () => topk(x, 2),
      adamStep: () => adamStep(w, g, m, v, hyper, 1),
      clipGradNorm: () => clipGradNorm({ w, g }, 1),
      valueAndGrad: () => gradOf(params),
    };
    for (const [name, call] of Object.entries(cases)) {
      const { points, leaks } = leakAtAnyFailure(call);
      assert.ok(points >= 2, `${name}: only ${points} failure points`);
      assert.deepEqual(leaks, [], `${name} leaked after failures at descriptions ${leaks.join(", ")}`);
    }
  });
});

Deno.test("collectives leave the live count unchanged when any output fails (one rank)", async () => {
  const found = await oneRank("leaks");
  for (const [name, { points, leaks }] of Object.entries(found) as [string, { points: number; leaks: string[] }][]) {
    assert.ok(points >= 2, `${name}: only ${points} failure points`);
    assert.deepEqual(leaks, [], `${name} leaked after failures at descriptions ${leaks.join(", ")}`);
  }
});

Deno.test("a failing multi-output call is a TorchError naming the op", () => {
  scope(() => {
    const x = tensor([1, 2, 3], [3]);
    sym.dt_fail_describe_after(2);
    try {
      assert.throws(() => topk(x, 1), (e) => e instanceof TorchError && e.op === "topk");
    } finally {
      sym.dt_fail_describe_after(0);
    }
  });
});
