/**
 * Soak: memory stays flat over long work. 100,000 scopes of op calls (small tensors and large ones,
 * whose buffers go through the allocator's cache) and 2,000 training steps of the tiny preset through
 * the real CLI: the live tensor count returns exactly to where it was, and the resident set stays
 * within ±5% of its median once warm (for the training loop: its ceiling, see below).
 */
import assert from "node:assert/strict";
import { add, cat, matmul, memory, mul, randn, relu, rng, scope, softmax, sum, type Tensor } from "../mod.ts";
import { Rand } from "../scripts/fuzz/gen.ts";

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** Asserts every sample is within ±5% of the samples' median. */
function assertFlat(samples: number[], what: string): void {
  const median = [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  for (const [i, s] of samples.entries()) {
    assert.ok(
      Math.abs(s - median) <= 0.05 * median,
      `${what}: sample ${i} is ${(s / 1e6).toFixed(1)} MB, more than 5% from the median ${
        (median / 1e6).toFixed(1)
      } MB ` +
        `(all: ${samples.map((x) => (x / 1e6).toFixed(0)).join(", ")})`,
    );
  }
}

/** One scope of six ops on tensors of random shapes; every 200th on ~2 MiB tensors. */
function opCall(r: Rand, i: number): void {
  scope(() => {
    const n = i % 200 === 0 ? 700 + r.int(0, 100) : r.int(1, 24);
    const x: Tensor = randn([n, n], rng(i));
    const y = relu(add(mul(x, 0.5), 1));
    const z = softmax(matmul(y, x), -1);
    sum(cat([z, y], 0));
  });
}

Deno.test("soak: 100,000 scoped op calls leave no tensor behind and a flat resident set", () => {
  const r = new Rand(11);
  const before = memory().tensors;
  const rss: number[] = [];
  const rounds = 20, perRound = 5000; // 100,000 scopes of six ops each
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < perRound; i++) opCall(r, round * perRound + i);
    assert.equal(memory().tensors, before, `after round ${round}`);
    gc();
    if (round >= 4) rss.push(Deno.memoryUsage().rss);
  }
  assertFlat(rss, "resident set between rounds 4 and 19");
});

Deno.test("soak: 2,000 tiny training steps keep the live tensor count constant and the resident set flat", async () => {
  const out = await Deno.makeTempDir({ prefix: "soak-" });
  try {
    const train = new URL("../scripts/train.ts", import.meta.url).pathname;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", train, "--max-steps", "2000", "--epochs", "100", "--out", out],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(r.success, new TextDecoder().decode(r.stderr).slice(-2000));
    const steps = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l))
      .filter((e) => e.kind === "train");
    assert.equal(steps.length, 2000);
    // Every step ends with the same tensors alive: parameters, optimizer state, nothing else.
    const counts = new Set(steps.slice(1).map((e) => e.liveTensors));
    assert.equal(counts.size, 1, `live tensor counts seen: ${[...counts].join(", ")}`);
    // The second half: the resident ceiling (each 250-step window's highest reading) stays within ±5%.
    // Readings in between swing by ~20% with the moments V8 and malloc hand memory back; what a leak
    // does is lift the ceiling, step after step. The first 1,000 steps warm the heaps up.
    const ceilings = [1000, 1250, 1500, 1750].map((from) =>
      Math.max(...steps.filter((e) => e.step > from && e.step <= from + 250).map((e) => e.rssBytes))
    );
    assertFlat(ceilings, "resident ceiling of steps 1001–2000, per 250 steps");
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
