/**
 * Distributed collectives on loopback: 2 processes (Gloo over a TCPStore rendezvous, torchrun's
 * variables) average gradient trees and broadcast rank 0's parameters, matching values computed by
 * hand; a rank that leaves makes the other fail with an error after the timeout instead of hanging.
 * The same scenarios run over NCCL, one GPU per rank, where GPUs are visible (skipped otherwise).
 */
import assert from "node:assert/strict";
import {
  backendFor,
  distributedConfigFromEnv,
  freePort,
  initDistributed,
  rankDevice,
  valueAndGradAllReduced,
} from "../lib/dist.ts";
import { memory, mul, scope, sum, type Tensor, tensor } from "../mod.ts";
import { cudaAvailable, cudaDeviceCount } from "../lib/device.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);

const GPUS = cudaDeviceCount();

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
        LOCAL_RANK: String(r),
        WORLD_SIZE: String(n),
        DENO_TORCH_THREADS: "1",
        ...extraEnv,
      },
    }).output();
    const text = new TextDecoder();
    return { code, stdout: text.decode(stdout).trim(), stderr: text.decode(stderr) };
  }));
}

/** n ranks average trees and broadcast rank 0's values on `device` ("cpu": Gloo, "cuda": NCCL). */
async function collectives(n: number, device: "cpu" | "cuda") {
  const out = await ranks(n, "collectives", { DIST_DEVICE: device });
  for (const r of out) assert.equal(r.code, 0, r.stderr);
  const results = out.map((r) => JSON.parse(r.stdout));
  // Rank r holds a = [r+1, 10(r+1)] and b = [[r, -r], [2r, 0.5]]: their means over r < n by hand.
  const m = (n - 1) / 2;
  for (const [i, res] of results.entries()) {
    assert.equal(res.rank, i);
    assert.equal(res.size, n);
    assert.equal(res.device, device === "cpu" ? "cpu" : `cuda:${i}`);
    assert.deepEqual(res.a, [m + 1, 10 * (m + 1)]);
    assert.deepEqual(res.b, [m, -m, 2 * m, 0.5]);
    assert.deepEqual(res.p, [100, 200, 300]); // rank 0's
  }
}

Deno.test("distributed: 2 ranks average gradient trees and broadcast rank 0's values", async () => {
  await collectives(2, "cpu");
});

Deno.test({
  name: "distributed (NCCL): ranks on their own GPUs average gradient trees and broadcast rank 0's values",
  ignore: GPUS < 1,
  fn: () => collectives(Math.min(2, GPUS), "cuda"),
});

Deno.test("distributed: gradients summed across ranks while backward runs equal the hand-summed ones, in any bucket size", async () => {
  const out = await ranks(2, "grad-allreduce");
  for (const r of out) assert.equal(r.code, 0, r.stderr);
  for (const [i, { rank, results }] of out.map((r) => JSON.parse(r.stdout)).entries()) {
    assert.equal(rank, i);
    for (const res of results) { // 1e-6 MB: a bucket per tensor; 25 MB: one bucket
      // x_0 = [1, 0, 0, 3, 0, 0.25], x_1 = [2, 2, -1, 3, 1, 0.25]
      assert.deepEqual(res.w, [3, 2, -1, 6, 1, 0.5]);
      assert.deepEqual(res.v, [1, -2]); // 2v · (0 + 1)
      assert.deepEqual(res.u, [0, 0, 0]); // unused: zeros
      // This rank's own loss: Σ w·x_r + r·Σ v² with w = 1…6, v = [0.5, -1].
      assert.equal(res.value, i === 0 ? 1 + 12 + 1.5 : 2 + 4 - 3 + 12 + 5 + 1.5 + 1.25);
    }
  }
});

/** 2 ranks train 3 steps on their own batches; 1 process trains on the union of their batches. */
async function trainingMatchesUnion(device: "cpu" | "cuda") {
  const two = await ranks(2, "train", { DIST_DEVICE: device });
  for (const r of two) assert.equal(r.code, 0, r.stderr);
  const [a, b] = two.map((r) => JSON.parse(r.stdout));
  assert.deepEqual(a.params, b.params, "the ranks agree exactly");
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-env", "--allow-read", "tests/dist_worker.ts", "train-union"],
    cwd: ROOT,
    env: { DENO_TORCH_THREADS: "1", DIST_DEVICE: device === "cpu" ? "cpu" : "cuda:0" },
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const one = JSON.parse(new TextDecoder().decode(stdout));
  assert.equal(a.tokens, one.tokens, "the loss averages over the same targets");
  assert.ok(Math.abs(a.loss - one.loss) < 1e-5, `loss ${a.loss} vs ${one.loss}`);
  let worst = 0;
  a.params.forEach((x: number, i: number) => worst = Math.max(worst, Math.abs(x - one.params[i])));
  assert.ok(worst < 1e-6, `largest parameter difference ${worst}`);
}

Deno.test("distributed: 2 ranks training on their own batches end with the parameters of 1 process on the union", async () => {
  await trainingMatchesUnion("cpu");
});

Deno.test({
  name: "distributed (NCCL): 2 GPUs training on their own batches end with the parameters of 1 GPU on the union",
  ignore: GPUS < 2,
  fn: () => trainingMatchesUnion("cuda"),
});

Deno.test("distributed: a rank that stalls (alive, connections open) makes the other fail at the timeout", async () => {
  const port = String(freePort());
  const env = (r: number) => ({
    MASTER_ADDR: "127.0.0.1",
    MASTER_PORT: port,
    RANK: String(r),
    WORLD_SIZE: "2",
    DIST_TIMEOUT_MS: "2000",
  });
  const args = ["run", "--allow-ffi", "--allow-env", "--allow-read", "tests/dist_worker.ts", "stall"];
  const stalled = new Deno.Command(Deno.execPath(), { args, cwd: ROOT, env: env(1), stdout: "null", stderr: "null" })
    .spawn();
  try {
    const zero = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, env: env(0) }).output();
    assert.equal(zero.code, 0, new TextDecoder().decode(zero.stderr));
    const res = JSON.parse(new TextDecoder().decode(zero.stdout));
    assert.match(res.error, /time|Timed out|timeout/i, res.error);
    assert.ok(res.ms >= 1500 && res.ms < 15_000, `failed after ${res.ms} ms with a 2000 ms timeout`);
  } finally {
    stalled.kill();
    await stalled.status;
  }
});

/**
 * Rank 1 leaves; rank 0's collective must fail with an error naming why, not hang. Gloo sees the
 * closed connection at once ("Connection reset/closed by peer", well inside the timeout); NCCL
 * cannot tell a dead peer from a slow one, so it fails at the timeout, and not before it.
 */
async function leaverFails(device: "cpu" | "cuda") {
  const timeoutMs = 3000;
  const started = performance.now();
  const [zero] = await ranks(2, "die", { DIST_TIMEOUT_MS: String(timeoutMs), DIST_DEVICE: device });
  assert.equal(zero.code, 0, zero.stderr);
  const res = JSON.parse(zero.stdout);
  assert.ok(res.error, "rank 0 got an error");
  if (device === "cpu") {
    assert.match(res.error, /^allReduceMean: .*Connection (reset|closed) by peer/, res.error);
    assert.ok(res.ms >= 0 && res.ms < timeoutMs, `failed after ${res.ms} ms, before the ${timeoutMs} ms timeout`);
  } else {
    assert.match(res.error, /time|Timed out|timeout/i, res.error);
    assert.ok(res.ms >= 0.75 * timeoutMs, `failed after ${res.ms} ms, not before the ${timeoutMs} ms timeout`);
  }
  assert.ok(performance.now() - started < 30_000, "and did not hang");
}

Deno.test("distributed: a rank that leaves makes the other fail at once with Gloo's connection error, not hang", async () => {
  await leaverFails("cpu");
});

Deno.test({
  name: "distributed (NCCL): a rank that leaves makes the other fail at the timeout, not hang",
  ignore: GPUS < 2,
  fn: () => leaverFails("cuda"),
});

Deno.test("distributed: CPU runs use Gloo; CUDA runs NCCL, each rank on cuda:LOCAL_RANK", () => {
  assert.equal(backendFor("cpu"), "gloo");
  assert.equal(backendFor("cuda:1"), "nccl");
  const config = { rank: 5, localRank: 1, worldSize: 8, masterAddr: "10.0.0.1", masterPort: 29500 };
  assert.equal(rankDevice(config, "cpu"), "cpu");
  assert.equal(rankDevice(config, "cuda"), "cuda:1");
  assert.equal(rankDevice({ ...config, localRank: undefined }, "cuda"), "cuda:5", "LOCAL_RANK defaults to RANK");
  assert.throws(() => rankDevice(config, "cuda:0"), /each rank uses its own GPU, cuda:LOCAL_RANK; ask for "cuda"/);
});

Deno.test("distributed: the config comes from torchrun's variables, LOCAL_RANK included", () => {
  const names = ["WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"];
  const saved = names.map((n) => Deno.env.get(n));
  const set = (values: (string | undefined)[]) =>
    names.forEach((n, i) => values[i] === undefined ? Deno.env.delete(n) : Deno.env.set(n, values[i]!));
  try {
    set(["4", "3", "1", "10.1.2.3", "1234"]);
    assert.deepEqual(distributedConfigFromEnv(), {
      worldSize: 4,
      rank: 3,
      localRank: 1,
      masterAddr: "10.1.2.3",
      masterPort: 1234,
    });
    set(["2", "1", undefined, undefined, undefined]);
    assert.deepEqual(distributedConfigFromEnv(), {
      worldSize: 2,
      rank: 1,
      localRank: 1,
      masterAddr: "127.0.0.1",
      masterPort: 29500,
    });
    set(["2", "1", "x", undefined, undefined]);
    assert.throws(() => distributedConfigFromEnv(), /LOCAL_RANK must be a non-negative integer, got x/);
    set([undefined, undefined, undefined, undefined, undefined]);
    assert.equal(distributedConfigFromEnv(), null);
  } finally {
    set(saved);
  }
});

Deno.test("distributed: an unknown backend, or NCCL without CUDA, is a clear error before any rendezvous", () => {
  const config = { rank: 0, worldSize: 1, masterAddr: "127.0.0.1", masterPort: freePort() };
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => initDistributed({ ...config, backend: "mpi" as any }),
    /backend must be "gloo" or "nccl", got "mpi"/,
  );
  if (!cudaAvailable()) {
    assert.throws(
      () => initDistributed({ ...config, backend: "nccl" }),
      /NCCL backend was requested, but the loaded libtorch has no CUDA support/,
    );
  }
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

Deno.test("train --nproc on CUDA: one GPU per process, and a clear error when they are not there", async () => {
  const named = await train("--nproc", "2", "--device", "cuda:1", "--max-steps", "1");
  assert.notEqual(named.code, 0);
  assert.match(
    named.out,
    /--nproc 2 --device cuda:1: each process trains on its own GPU \(cuda:0 … cuda:1\); pass --device cuda/,
  );
  if (GPUS >= 2) return; // the run itself is the NCCL tests' business
  const cuda = await train("--nproc", "2", "--device", "cuda", "--max-steps", "1");
  assert.notEqual(cuda.code, 0);
  assert.match(
    cuda.out,
    GPUS === 0
      ? /--nproc 2 --device cuda: CUDA was requested but the loaded libtorch has no CUDA support or sees no GPU/
      : /--nproc 2 --device cuda needs 2 GPUs, one per process; 1 visible/,
  );
  assert.doesNotMatch(cuda.out, /train: 2 processes/, "nothing was launched");
});

// ---- across machines: two network namespaces joined by a veth pair stand for two hosts ----

/** Runs `ip` with these arguments; whether it succeeded. */
function ip(...args: string[]): boolean {
  try {
    return new Deno.Command("ip", { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false; // no iproute2
  }
}

/** Whether this process may make network namespaces (root, with iproute2). */
const CAN_MAKE_HOSTS = (() => {
  const probe = `dtprobe${Deno.pid}`;
  if (!ip("netns", "add", probe)) return false;
  ip("netns", "del", probe);
  return true;
})();

/** Two hosts, `names[i]` at `addrs[i]`, that reach each other only over their own link. */
async function withTwoHosts(body: (names: string[], addrs: string[]) => Promise<void>) {
  const id = Deno.pid % 100000;
  const names = [`dt${id}a`, `dt${id}b`];
  const addrs = [`10.213.${id % 250}.1`, `10.213.${id % 250}.2`];
  try {
    const steps: string[][] = [
      ["netns", "add", names[0]],
      ["netns", "add", names[1]],
      ["link", "add", `${names[0]}v`, "type", "veth", "peer", "name", `${names[1]}v`],
      ...[0, 1].flatMap((i) => [
        ["link", "set", `${names[i]}v`, "netns", names[i]],
        ["-n", names[i], "addr", "add", `${addrs[i]}/24`, "dev", `${names[i]}v`],
        ["-n", names[i], "link", "set", `${names[i]}v`, "up"],
        ["-n", names[i], "link", "set", "lo", "up"],
      ]),
    ];
    for (const step of steps) assert.ok(ip(...step), `ip ${step.join(" ")}`);
    await body(names, addrs);
  } finally {
    for (const name of names) ip("netns", "del", name); // takes its end of the veth pair along
  }
}

/** `command` as rank r of 2 on host names[r], with rank 0's host as the master. */
function onHost(names: string[], addrs: string[], r: number, port: number, args: string[], env = {}) {
  return new Deno.Command("ip", {
    args: ["netns", "exec", names[r], Deno.execPath(), ...args],
    cwd: ROOT,
    env: {
      MASTER_ADDR: addrs[0],
      MASTER_PORT: String(port),
      RANK: String(r),
      LOCAL_RANK: "0", // one rank per host
      WORLD_SIZE: "2",
      DENO_TORCH_THREADS: "1",
      ...env,
    },
  }).output();
}

Deno.test({
  name: "distributed across two hosts: each rank's Gloo transport binds its own host's address",
  ignore: !CAN_MAKE_HOSTS,
  fn: () =>
    withTwoHosts(async (names, addrs) => {
      const args = ["run", "--allow-ffi", "--allow-env", "--allow-read", "tests/dist_worker.ts", "collectives"];
      const out = await Promise.all([0, 1].map((r) => onHost(names, addrs, r, 29500, args)));
      const text = new TextDecoder();
      for (const o of out) assert.equal(o.code, 0, text.decode(o.stderr));
      for (const [r, o] of out.entries()) {
        const res = JSON.parse(text.decode(o.stdout));
        assert.equal(res.rank, r);
        assert.deepEqual(res.a, [1.5, 15]);
        assert.deepEqual(res.p, [100, 200, 300]);
      }
    }),
});

Deno.test({
  name: "train across two hosts (a launcher's variables, or --nnodes 2) repeats the losses of --nproc 2 on one machine",
  ignore: !CAN_MAKE_HOSTS,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "hosts_" });
    try {
      const local = await train("--nproc", "2", "--max-steps", "5", "--out", `${dir}/local`);
      assert.equal(local.code, 0, local.out);
      await withTwoHosts(async (names, addrs) => {
        const args = ["task", "--quiet", "train", "--synthetic-size", "8000", "--max-steps", "5", "--threads", "1"];
        // Each host writes its own folder, as on two machines; only rank 0's gets the run.
        const out = await Promise.all(
          [0, 1].map((r) => onHost(names, addrs, r, 29501, [...args, "--out", `${dir}/host${r}`])),
        );
        const text = new TextDecoder();
        for (const o of out) assert.equal(o.code, 0, text.decode(o.stdout) + text.decode(o.stderr));
      });
      assert.deepEqual(trainLosses(`${dir}/host0`), trainLosses(`${dir}/local`));
      assert.equal(trainLosses(`${dir}/local`).length, 5);
      await assert.rejects(Deno.stat(`${dir}/host1/metrics.jsonl`), "rank 1 writes no metrics");

      // The same with train's own launcher on each host: --nnodes 2 --node-rank K --master-addr.
      await withTwoHosts(async (names, addrs) => {
        const text = new TextDecoder();
        const out = await Promise.all([0, 1].map((r) =>
          new Deno.Command("ip", {
            args: [
              ...["netns", "exec", names[r], Deno.execPath(), "task", "--quiet", "train", "--synthetic-size", "8000"],
              ...["--max-steps", "5", "--nproc", "1", "--nnodes", "2", "--node-rank", String(r)],
              ...["--master-addr", addrs[0], "--master-port", "29502", "--out", `${dir}/node${r}`],
            ],
            cwd: ROOT,
          }).output()
        ));
        for (const o of out) assert.equal(o.code, 0, text.decode(o.stdout) + text.decode(o.stderr));
        assert.match(text.decode(out[1].stdout), /train: node 1 of 2, ranks 1–1 of 2 \(rank 0 reports/);
      });
      assert.deepEqual(trainLosses(`${dir}/node0`), trainLosses(`${dir}/local`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("valueAndGradAllReduced: outside a group, or with a bad bucket size, a clear error", () => {
  const f = (p: { w: Tensor }) => sum(mul(p.w, p.w));
  assert.throws(() => valueAndGradAllReduced(f, { bucketMb: 0 }), /bucketMb must be a positive number of MB, got 0/);
  const before = memory().tensors;
  scope(() => {
    const params = { w: tensor([1, 2]) };
    assert.throws(() => valueAndGradAllReduced(f)(params), /process group is not initialized/);
  });
  assert.equal(memory().tensors, before, "nothing leaked on the error path");
});

Deno.test("train's launch flags: a bad layout is a clear error before anything starts", async () => {
  for (
    const [args, message] of [
      [["--nproc", "0"], /--nproc needs an integer ≥ 1, got "0"/],
      [["--nnodes", "2", "--node-rank", "2", "--master-addr", "10.0.0.1"], /--node-rank 2 is not below --nnodes 2/],
      [["--nnodes", "2", "--node-rank", "1"], /--nnodes 2 needs --master-addr/],
      [["--node-rank", "1"], /--node-rank and --master-addr go with --nnodes/],
      [["--nproc", "2", "--master-port", "70000"], /--master-port 70000 is out of range/],
    ] as const
  ) {
    const r = await train(...args, "--max-steps", "1");
    assert.notEqual(r.code, 0, args.join(" "));
    assert.match(r.out, message);
    assert.doesNotMatch(r.out, /train: \d+ processes|train: node/, "nothing was launched");
  }
});

Deno.test("train --nproc: when one rank fails, the launcher stops the others at once and reports the failure", async () => {
  // Rank 0 cannot bind the rendezvous port; rank 1 would otherwise wait the whole timeout for it.
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = String((taken.addr as Deno.NetAddr).port);
    const started = performance.now();
    const r = await train("--nproc", "2", "--master-port", port, "--max-steps", "1");
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /train: .*Address already in use/);
    assert.match(r.out, /train: rank 0 exited with status 1; stopping the other ranks/);
    assert.doesNotMatch(r.out, /at initDistributed/, "no stack trace");
    assert.ok(performance.now() - started < 60_000, "the other rank did not wait out its timeout");
  } finally {
    taken.close();
  }
});
