/**
 * Distributed collectives on loopback: 2 processes (Gloo over a TCPStore rendezvous, torchrun's
 * variables) average gradient trees and broadcast rank 0's parameters, matching values computed by
 * hand; a rank that leaves makes the other fail with an error after the timeout instead of hanging.
 */
import assert from "node:assert/strict";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);

/** A free TCP port on loopback. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

async function ranks(n: number, scenario: string, extraEnv: Record<string, string> = {}) {
  const port = String(freePort());
  return await Promise.all(Array.from({ length: n }, async (_, r) => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-ffi", "--allow-env", "--allow-read", "tests/dist_worker.ts", scenario],
      cwd: ROOT,
      env: {
        MASTER_ADDR: "127.0.0.1",
        MASTER_PORT: port,
        RANK: String(r),
        WORLD_SIZE: String(n),
        DENO_TORCH_THREADS: "1",
        ...extraEnv,
      },
    }).output();
    const text = new TextDecoder();
    return { code, stdout: text.decode(stdout).trim(), stderr: text.decode(stderr) };
  }));
}

Deno.test("distributed: 2 ranks average gradient trees and broadcast rank 0's values", async () => {
  const out = await ranks(2, "collectives");
  for (const r of out) assert.equal(r.code, 0, r.stderr);
  const results = out.map((r) => JSON.parse(r.stdout));
  for (const [i, res] of results.entries()) {
    assert.equal(res.rank, i);
    assert.equal(res.size, 2);
    assert.deepEqual(res.a, [1.5, 15]); // mean of [1, 10] and [2, 20]
    assert.deepEqual(res.b, [0.5, -0.5, 1, 0.5]); // mean of [[0,0],[0,0.5]] and [[1,-1],[2,0.5]]
    assert.deepEqual(res.p, [100, 200, 300]); // rank 0's
  }
});

Deno.test("distributed: 2 ranks training on their own batches end with the parameters of 1 process on the union", async () => {
  const two = await ranks(2, "train");
  for (const r of two) assert.equal(r.code, 0, r.stderr);
  const [a, b] = two.map((r) => JSON.parse(r.stdout));
  assert.deepEqual(a.params, b.params, "the ranks agree exactly");
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-env", "--allow-read", "tests/dist_worker.ts", "train-union"],
    cwd: ROOT,
    env: { DENO_TORCH_THREADS: "1" },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const one = JSON.parse(new TextDecoder().decode(stdout));
  assert.equal(a.tokens, one.tokens, "the loss averages over the same targets");
  assert.ok(Math.abs(a.loss - one.loss) < 1e-5, `loss ${a.loss} vs ${one.loss}`);
  let worst = 0;
  a.params.forEach((x: number, i: number) => worst = Math.max(worst, Math.abs(x - one.params[i])));
  assert.ok(worst < 1e-6, `largest parameter difference ${worst}`);
});

Deno.test("distributed: a rank that leaves makes the other fail after the timeout, not hang", async () => {
  const started = performance.now();
  const [zero] = await ranks(2, "die", { DIST_TIMEOUT_MS: "3000" });
  assert.equal(zero.code, 0, zero.stderr);
  const res = JSON.parse(zero.stdout);
  assert.ok(res.error, "rank 0 got an error");
  assert.ok(performance.now() - started < 30_000, "and did not hang");
});

/** `deno task train` with these arguments; its exit status and output. */
async function train(...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "train", "--synthetic-size", "8000", ...args],
    cwd: ROOT,
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout) + text.decode(stderr) };
}

const trainLosses = (dir: string) =>
  Deno.readTextFileSync(`${dir}/metrics.jsonl`).trim().split("\n").map((l) => JSON.parse(l))
    .filter((e) => e.kind === "train").map((e) => [e.step, e.loss]);

Deno.test("train --nproc 2: rank 0 writes the run; a resume with 2 processes repeats the losses exactly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nproc_" });
  try {
    const whole = await train("--nproc", "2", "--max-steps", "8", "--out", `${dir}/whole`);
    assert.equal(whole.code, 0, whole.out);
    assert.match(whole.out, /train: 2 processes on this machine/);
    assert.match(whole.out, /stopped at --max-steps after 8 steps/);
    const state = JSON.parse(await Deno.readTextFile(`${dir}/whole/checkpoints/step-00000008/state.json`));
    assert.equal(state.worldSize, 2);
    assert.equal(state.position, 16, "each step took one batch per rank");

    const half = await train("--nproc", "2", "--max-steps", "4", "--out", `${dir}/resumed`);
    assert.equal(half.code, 0, half.out);
    const rest = await train("--nproc", "2", "--max-steps", "8", "--resume", `${dir}/resumed`);
    assert.equal(rest.code, 0, rest.out);
    assert.deepEqual(trainLosses(`${dir}/resumed`), trainLosses(`${dir}/whole`));

    const wrong = await train("--max-steps", "9", "--resume", `${dir}/resumed`);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.out, /was trained with 2 process\(es\); resume it with --nproc 2/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
