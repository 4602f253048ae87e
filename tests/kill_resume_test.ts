/**
 * Nothing is lost: `deno task train` killed (SIGKILL, no chance to clean up) at 20 moments, half of
 * them in the middle of a checkpoint write, resumes each time from its newest complete checkpoint
 * and ends with the losses of a run never interrupted, bit for bit. A checkpoint that looks
 * complete but is corrupt is passed over with a message naming it; `--resume latest` finds the
 * newest run folder; `--max-minutes` stops a run.
 */
import assert from "node:assert/strict";
import { Prng } from "../nmt/data/prng.ts";
import { listCheckpoints } from "../nmt/train/checkpoint.ts";
import { ROOT } from "./helpers/deno.ts";

/**
 * A tiny run of 8 steps an epoch (3 epochs, unless a test asks for more) that checkpoints after
 * every step: many writes to land a kill in.
 */
const FLAGS = [
  ...["--preset", "tiny", "--synthetic-size", "600", "--epochs", "3", "--d-model", "32", "--d-ff", "64"],
  ...["--max-tokens", "600", "--save-minutes", "0", "--save-every", "1", "--samples", "0", "--threads", "1"],
];

function train(args: string[], cwd = ROOT): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}scripts/train.ts`, ...FLAGS, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finish(child: Deno.ChildProcess): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout) + text.decode(stderr) };
}

/** The training losses of a run folder's metrics.jsonl, step by step. */
async function losses(dir: string): Promise<[number, number][]> {
  const lines = (await Deno.readTextFile(`${dir}/metrics.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  return lines.filter((e) => e.kind === "train").map((e) => [e.step, e.loss]);
}

/** Whether a checkpoint write was left unfinished: its temporary folder is still there. */
async function leftTemporary(checkpoints: string): Promise<boolean> {
  for await (const e of Deno.readDir(checkpoints)) if (e.name.startsWith(".tmp-")) return true;
  return false;
}

const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

/** Waits until `dir`'s metrics.jsonl holds at least `count` complete step lines (or `limitMs` passed); how many it holds. */
async function stepsLogged(dir: string, count: number, limitMs = 0): Promise<number> {
  const until = performance.now() + limitMs;
  for (;;) {
    let n = 0;
    try {
      const text = await Deno.readTextFile(`${dir}/metrics.jsonl`);
      n = text.split("\n").filter((l) => l.startsWith('{"kind":"train"') && l.endsWith("}")).length;
    } catch { /* not written yet */ }
    if (n >= count || performance.now() >= until) return n;
    await sleep(2);
  }
}

/** Resolves once a checkpoint write is under way (its temporary folder exists), or after `limitMs`. */
async function checkpointWriteStarts(checkpoints: string, seen: Set<string>, limitMs: number): Promise<boolean> {
  const until = performance.now() + limitMs;
  while (performance.now() < until) {
    try {
      for await (const e of Deno.readDir(checkpoints)) {
        if (e.name.startsWith(".tmp-") && !seen.has(e.name)) {
          seen.add(e.name);
          return true;
        }
      }
    } catch { /* no checkpoints folder yet */ }
    await sleep(1);
  }
  return false;
}

Deno.test("train: SIGKILLed at 20 moments (10 mid-checkpoint), resumed each time, ends with the uninterrupted losses", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kill-resume-" });
  try {
    // Long enough (80 steps) that 20 kills, each a few seconds into a run, all land before its end.
    const epochs = ["--epochs", "10"];
    const reference = await finish(train(["--out", `${dir}/whole`, ...epochs]));
    assert.equal(reference.code, 0, reference.out);
    const want = await losses(`${dir}/whole`);
    assert.equal(want.length, 80);

    const out = `${dir}/killed`;
    const prng = new Prng(16);
    let kills = 0, midWrite = 0;
    while (kills < 20) {
      const resumable = (await listCheckpoints(`${out}/checkpoints`)).length > 0;
      const child = train(["--out", out, ...epochs, ...(resumable ? ["--resume", out] : [])]);
      let duringWrite = false;
      if (kills % 2 === 0) {
        // Somewhere in the run: during start-up, or 1 to 3 steps on and a moment later (a step,
        // a validation or a save). Counting steps, not seconds, keeps the 20 kills inside the run
        // on a machine of any speed.
        const ahead = Math.floor(prng.next() * 4);
        if (ahead > 0) await stepsLogged(out, (await stepsLogged(out, 0)) + ahead, 15_000);
        await sleep((ahead === 0 ? 2000 : 100) * prng.next());
      } else {
        // In the middle of a checkpoint write: as soon as the 1st to 3rd one of this run begins.
        const seen = new Set<string>();
        const nth = 1 + Math.floor(prng.next() * 3);
        for (let i = 0; i < nth; i++) duringWrite = await checkpointWriteStarts(`${out}/checkpoints`, seen, 15_000);
      }
      try {
        child.kill("SIGKILL");
      } catch { /* it had finished */ }
      const { code, out: log } = await finish(child);
      assert.notEqual(code, 0, `kill ${kills + 1} came after the run's end:\n${log}`);
      kills++;
      // A write cut short leaves its temporary folder behind (the next run clears it).
      if (duringWrite && await leftTemporary(`${out}/checkpoints`)) midWrite++;
    }
    assert.ok(midWrite >= 5, `${midWrite} of the 20 kills cut a checkpoint write short`);

    const last = await finish(train(["--out", out, ...epochs, "--resume", out]));
    assert.equal(last.code, 0, last.out);
    assert.deepEqual(await losses(out), want, "the same losses, bit for bit, step for step");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: --resume passes over a corrupt checkpoint (truncated weights, bad state.json), naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "corrupt-resume-" });
  try {
    const out = `${dir}/run`;
    const first = await finish(train(["--out", out, "--max-steps", "6"]));
    assert.equal(first.code, 0, first.out);
    const names = await listCheckpoints(`${out}/checkpoints`);
    assert.deepEqual(names, ["step-00000004", "step-00000005", "step-00000006"]);
    // The newest: its weights cut short. The one before: state.json not JSON.
    const weights = `${out}/checkpoints/step-00000006/model.safetensors`;
    const bytes = await Deno.readFile(weights);
    await Deno.writeFile(weights, bytes.subarray(0, bytes.length >> 1));
    await Deno.writeTextFile(`${out}/checkpoints/step-00000005/state.json`, '{"version": 1, "step": ');

    const resumed = await finish(train(["--out", out, "--resume", out]));
    assert.equal(resumed.code, 0, resumed.out);
    assert.match(resumed.out, /skipping checkpoint .*step-00000006: .*model\.safetensors/);
    assert.match(resumed.out, /skipping checkpoint .*step-00000005: .*state\.json/);
    assert.match(resumed.out, /resuming from .*step-00000004 at step 4/);

    const whole = await finish(train(["--out", `${dir}/whole`]));
    assert.equal(whole.code, 0, whole.out);
    assert.deepEqual(await losses(out), await losses(`${dir}/whole`), "resumed from step 4, the same losses");

    // Naming a corrupt checkpoint folder itself is an error that names it, not a fallback.
    await Deno.writeTextFile(`${out}/checkpoints/step-00000024/state.json`, "{ truncated");
    const named = await finish(train(["--out", out, "--resume", `${out}/checkpoints/step-00000024`]));
    assert.notEqual(named.code, 0);
    assert.match(named.out, /step-00000024\/state\.json/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train: --resume latest continues the newest run under runs/; --max-minutes stops a run", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "resume-latest-" });
  try {
    const older = await finish(train(["--out", "runs/older", "--max-steps", "2"], cwd));
    assert.equal(older.code, 0, older.out);
    await new Promise((wake) => setTimeout(wake, 20)); // distinct modification times
    const newer = await finish(train(["--out", "runs/newer", "--max-steps", "3"], cwd));
    assert.equal(newer.code, 0, newer.out);
    const latest = await finish(train(["--resume", "latest", "--max-steps", "5"], cwd)); // --out: the run resumed
    assert.equal(latest.code, 0, latest.out);
    assert.match(latest.out, /resuming from runs\/newer\/checkpoints\/step-00000003 at step 3/);
    assert.deepEqual((await losses(`${cwd}/runs/newer`)).map(([step]) => step), [1, 2, 3, 4, 5]);

    // A limit of a thousandth of a minute (60 ms) of training: stopped after the first step or so.
    const limited = await finish(train(["--out", "runs/limited", "--max-minutes", "0.001"], cwd));
    assert.equal(limited.code, 0, limited.out);
    assert.match(limited.out, /train: stopped at --max-minutes after \d+ steps?/);
    assert.ok((await losses(`${cwd}/runs/limited`)).length < 24, "stopped before the run's end");
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
