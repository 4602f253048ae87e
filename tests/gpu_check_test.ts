/**
 * scripts/gpu_check.sh's CPU half (`--dry-run`): every step of the GPU check run on the CPU at tiny
 * sizes, so that the script a GPU machine will run in one call is known to work before it gets there.
 * It needs the PyTorch reference (the benchmarks run PyTorch's side), and says so where it is missing.
 */
import assert from "node:assert/strict";
import { referenceAvailable, ROOT } from "./helpers/reference.ts";

Deno.test({
  name: `gpu_check.sh --dry-run: deno packed and unpacked, the build, the device suites and the benchmarks${
    referenceAvailable ? "" : " (skipped: no PyTorch reference here)"
  }`,
  ignore: !referenceAvailable,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "gpu-check-" });
    try {
      const { code, stdout, stderr } = await new Deno.Command("bash", {
        args: [`${ROOT}/scripts/gpu_check.sh`, "--dry-run"],
        cwd: ROOT,
        env: { OUT: out, DENO_TORCH_TEST_DEVICE: "cpu" },
      }).output();
      const text = new TextDecoder();
      const printed = text.decode(stdout);
      assert.equal(code, 0, `${printed}\n${text.decode(stderr)}`);
      const result = JSON.parse(await Deno.readTextFile(`${out}/gpu_check.json`));
      assert.deepEqual(result.steps.map((s: { step: string }) => s.step), [
        "deno",
        "npm",
        "build",
        "tests",
        "benchmarks",
      ]);
      for (const s of result.steps) assert.equal(s.status, "ok", `${s.step}: ${s.detail}`);
      assert.match(result.steps[3].detail, /^ok \| \d+ passed \| 0 failed/);
      const bench = result.bench;
      assert.equal(bench.device, "cpu");
      assert.deepEqual(bench.errors, {});
      for (const v of [bench.train_step.ours_f32_ms, bench.train_step.torch_f32_ms, bench.train_step.torch_bf16_ms]) {
        assert.ok(Number.isFinite(v) && v > 0, `a step time: ${v}`);
      }
      assert.equal(bench.train_step.live_tensors_flat, true, "no tensor leaks from step to step");
      assert.ok(bench.ceiling.ours_bf16_tflops > 0 && bench.ceiling.torch_bf16_tflops > 0);
      assert.equal(bench.decoding.greedy.identical, true, "greedy output identical to PyTorch's on the same device");
      assert.equal(bench.decoding.greedy.ours.target_tokens, bench.decoding.greedy.theirs.target_tokens);
      // The short table comes last, and ends with the verdict line.
      assert.match(printed, /train step f32 \(ms\)/);
      assert.match(printed.trim().split("\n").at(-1)!, /gpu_check \(dry, cpu\): \d+ s, all steps passed/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
