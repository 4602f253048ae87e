/**
 * `deno task bench`'s command line and its training-step child (scripts/bench/train_run.ts) at a
 * tiny size: flags named as in transformer_ref.py bench-train, JSON with `median_step_ms`, clear
 * exit-2 errors; the micro groups' workloads run once each and leave no tensor behind; the one
 * median; the PyTorch yardsticks start from where the groups look for them. The benchmarks'
 * figures themselves are not asserted (speed is not a test).
 */
import assert from "node:assert/strict";
import { deno } from "./helpers/deno.ts";
import { cudaAvailable, memory } from "../mod.ts";
import { median, medianRun } from "../scripts/bench/harness.ts";
import { GROUPS } from "../scripts/bench/groups.ts";
import type { BenchGroup, Context } from "../scripts/bench/types.ts";
import { WORKLOADS_SCRIPT } from "../scripts/bench/torch.ts";
import { DDP_SCRIPT } from "../scripts/bench/dist.ts";
import { PYTHON } from "../scripts/bench/reference.ts";

const run = (args: string[]) => deno(args);

const TINY = ["--d-model", "16", "--layers", "1", "--heads", "2", "--d-ff", "32", "--batch", "2"];
const TINY_BATCH = ["--src-len", "5", "--tgt-len", "4", "--vocab", "50", "--steps", "2", "--warmup", "1"];

Deno.test("bench train_run.ts: bench-train's flags in, median_step_ms and a profile out", async () => {
  const r = await run([
    "run",
    "-A",
    "scripts/bench/train_run.ts",
    ...TINY,
    ...TINY_BATCH,
    "--threads",
    "1",
    "--profile",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.impl, "deno-torch");
  assert.equal(out.threads, 1);
  assert.ok(out.median_step_ms > 0 && out.min_step_ms <= out.median_step_ms);
  assert.ok(Number.isFinite(out.loss) && out.loss > 0);
  assert.ok(out.peak_rss_mb > 10, `peak RSS ${out.peak_rss_mb} MB`);
  assert.ok(out.matmul_gflops > 0);
  assert.equal(out.live_tensors.length, 3, "one count per step (1 warmup + 2)");
  assert.ok(out.live_tensors.every((n: number) => n === out.live_tensors[0]), `live tensors ${out.live_tensors}`);
  assert.ok(out.profile.byCall.some((c: { name: string }) => c.name === "dt_matmul"));
  assert.match(r.stderr, /native ops .*\n.*freeing .*\n.*JS \+ FFI/s);
});

Deno.test("bench: bad groups and flags exit 2 naming the problem", async () => {
  const cases: [string[], RegExp][] = [
    [["task", "--quiet", "bench", "nosuch"], /unknown group\(s\) nosuch; have .*train-step.*epoch/],
    [["task", "--quiet", "bench", "train-step", "--d-model", "x"], /--d-model needs a positive integer, got x/],
    [["task", "--quiet", "bench", "--bogus"], /Unknown option '--bogus'/],
    [
      ["run", "-A", "scripts/bench/train_run.ts", "--d-model", "30", "--heads", "4"],
      /--d-model \(30\) must be divisible by --heads \(4\)/,
    ],
    [["run", "-A", "scripts/bench/train_run.ts", "--steps", "0"], /--steps needs a positive integer, got 0/],
    [["run", "-A", "scripts/bench/train_run.ts", "--device", "tpu"], /unknown device "tpu"/],
  ];
  if (!cudaAvailable()) {
    cases.push([["run", "-A", "scripts/bench/train_run.ts", "--device", "cuda"], /CUDA was requested \(cuda\)/]);
  }
  for (const [args, message] of cases) {
    const r = await run(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
});

Deno.test("bench harness: median interpolates an even count, medianRun picks a whole run", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  const runs = [{ ms: 30, id: "c" }, { ms: 10, id: "a" }, { ms: 40, id: "d" }, { ms: 20, id: "b" }];
  assert.equal(medianRun(runs, (r) => r.ms).id, "c", "the upper of the two middle runs");
  assert.equal(medianRun(runs.slice(0, 3), (r) => r.ms).id, "c");
  assert.deepEqual(runs.map((r) => r.id), ["c", "a", "d", "b"], "the runs themselves are not reordered");
});

Deno.test("bench micro groups: every workload runs with the library's own code and frees what it makes", () => {
  const ctx: Context = { quick: true, threads: 1, targetNs: 1e6, repeats: 1, torch: null };
  const micro = GROUPS.filter((g): g is BenchGroup => g.kind !== "macro");
  assert.deepEqual(micro.map((g) => g.name), ["ffi", "overhead"]);
  for (const group of micro) {
    const before = memory().tensors;
    const { rows, dispose } = group.setup(ctx);
    for (const row of rows) {
      for (const run of [row.ours, row.native]) run?.(250); // more than one scope's worth (100)
      assert.equal(memory().tensors - before, group.name === "ffi" ? 5 : 2, `${group.name}/${row.id} leaked`);
    }
    dispose?.();
    assert.equal(memory().tensors, before, `${group.name}: its tensors are freed`);
  }
});

Deno.test({
  name: "bench: the PyTorch yardsticks run from scripts/bench/, where the groups look for them",
  ignore: (() => {
    try {
      return !Deno.statSync(PYTHON).isFile;
    } catch {
      return true;
    }
  })(),
  fn() {
    for (const [script, usage] of [[WORKLOADS_SCRIPT, /--serve/], [DDP_SCRIPT, /--reference/]] as const) {
      assert.match(script, /\/scripts\/bench\/torch_\w+\.py$/);
      const { code, stdout, stderr } = new Deno.Command(PYTHON, { args: [script, "--help"] }).outputSync();
      const text = new TextDecoder();
      assert.equal(code, 0, text.decode(stderr));
      assert.match(text.decode(stdout), usage);
    }
  },
});
