/**
 * The CPU allocator (native/allocator.cpp): large buffers come from cached mapped ranges, split and
 * merged. Checked here: live buffers never share memory whatever the order of sizes and frees, the
 * mapped total stays within its budget, freed pages are reused, and the opt-out and release work.
 */
import assert from "node:assert/strict";
import {
  free,
  full,
  item,
  max,
  memory,
  min,
  releaseCachedMemory,
  resetPeakResident,
  residentMemory,
  scope,
  type Tensor,
} from "../mod.ts";
import { Rand } from "../scripts/fuzz/gen.ts";
import { sym } from "../ffi/lib.ts";

const SLACK = Number(Deno.env.get("DENO_TORCH_CACHE_SLACK") ?? 1.25);

/** [live bytes, cached free bytes, high-water mark of live bytes, mappings made, ranges unmapped] */
function allocatorStats() {
  const out = new Float64Array(5);
  sym.dt_allocator_stats(out);
  const [live, cached, peakLive, maps, unmaps] = out;
  return { live, cached, peakLive, maps, unmaps };
}

const MiB = 1 << 20;

Deno.test("large buffers: 800 random allocations and frees never overlap, and the mapped total stays within budget", () => {
  const before = memory().tensors;
  const rand = new Rand(7);
  const live: { t: Tensor; fill: number }[] = [];
  for (let i = 0; i < 800; i++) {
    if (live.length > 0 && (live.length >= 24 || rand.chance(0.45))) {
      const [gone] = live.splice(rand.int(0, live.length - 1), 1);
      free(gone.t);
    } else {
      const elements = rand.int(MiB / 4, 3 * MiB); // 1–12 MiB of f32, many sizes
      live.push({ t: full([elements], i), fill: i });
    }
    const s = allocatorStats();
    assert.ok(s.live + s.cached <= SLACK * s.peakLive + 1, `call ${i}: ${JSON.stringify(s)}`);
  }
  // Every survivor still holds its own fill everywhere: no buffer was handed out twice.
  scope(() => {
    for (const { t, fill } of live) {
      assert.equal(item(min(t)), fill);
      assert.equal(item(max(t)), fill);
    }
  });
  live.forEach(({ t }) => free(t));
  assert.equal(memory().tensors, before);
});

Deno.test("large buffers: a freed buffer's pages serve the next one of its size without a new mapping", () => {
  free(full([4 * MiB], 1)); // 16 MiB, now cached
  const maps = allocatorStats().maps;
  const again = full([4 * MiB], 2);
  assert.equal(allocatorStats().maps, maps);
  assert.equal(scope(() => item(max(again))), 2);
  free(again);
});

Deno.test("releaseCachedMemory unmaps every cached range; live tensors keep their values", () => {
  const kept = full([2 * MiB], 3);
  free(full([3 * MiB], 4));
  assert.ok(memory().cachedBytes >= 12 * MiB);
  releaseCachedMemory();
  assert.equal(memory().cachedBytes, 0);
  assert.equal(allocatorStats().cached, 0);
  assert.equal(scope(() => item(min(kept))), 3);
  free(kept);
});

Deno.test("DENO_TORCH_MALLOC=system leaves large buffers to malloc: nothing is cached", async () => {
  const code = `import { free, full, memory } from "${new URL("../mod.ts", import.meta.url).href}";
    free(full([4 * 1048576], 1));
    console.log(memory().cachedBytes);`;
  const run = (env: Record<string, string>) =>
    new Deno.Command(Deno.execPath(), {
      args: ["eval", "--ext=ts", code],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const system = await run({ DENO_TORCH_MALLOC: "system" });
  assert.ok(system.success, new TextDecoder().decode(system.stderr));
  assert.equal(new TextDecoder().decode(system.stdout).trim(), "0");
  const cached = await run({});
  assert.ok(cached.success, new TextDecoder().decode(cached.stderr));
  assert.ok(Number(new TextDecoder().decode(cached.stdout)) >= 16 * 1048576);
});

Deno.test("DENO_TORCH_CACHE_SLACK out of [1, 16] is refused at load with a message naming it", async () => {
  const code = `import "${new URL("../mod.ts", import.meta.url).href}";`;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    env: { DENO_TORCH_CACHE_SLACK: "0.5" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(r.success, false);
  assert.match(new TextDecoder().decode(r.stderr), /DENO_TORCH_CACHE_SLACK/);
});

Deno.test("residentMemory: a 256 MiB buffer shows in the peak after resetPeakResident, and leaves it when released", () => {
  releaseCachedMemory();
  assert.ok(resetPeakResident(), "Linux resets the high-water mark");
  const before = residentMemory()!;
  assert.ok(before.peakBytes >= before.bytes && before.peakBytes - before.bytes < 16 << 20, JSON.stringify(before));
  const MiB = 1 << 20;
  scope(() => item(max(full([64 * MiB], 1)))); // 256 MiB of f32, every page written
  releaseCachedMemory(); // unmapped again
  const after = residentMemory()!;
  assert.ok(after.peakBytes - before.bytes >= 250 * MiB, `peak rose by ${(after.peakBytes - before.bytes) / MiB} MiB`);
  assert.ok(
    after.bytes - before.bytes < 32 * MiB,
    `resident after release: +${(after.bytes - before.bytes) / MiB} MiB`,
  );
  assert.ok(resetPeakResident());
  assert.ok(residentMemory()!.peakBytes - after.bytes < 16 * MiB, "the reset dropped the old peak");
});
