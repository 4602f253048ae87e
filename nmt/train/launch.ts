/**
 * The data-parallel launcher behind `deno task train --nproc N` (and, across machines, `--nnodes M
 * --node-rank K --master-addr A`): it runs N copies of the training command as ranks K·N … K·N+N−1
 * of one run of M·N ranks, with the variables torchrun sets (so another launcher can set them
 * instead), and stops the others when one fails, as torchrun does.
 */
import { cudaDeviceCount } from "../../lib/device.ts";
import { freePort } from "../../lib/dist.ts";
import { resolveDevice } from "./device.ts";
import { OptionError } from "./options.ts";

/** `parseArgs` options for the launch flags. */
export const LAUNCH_FLAGS = {
  nproc: { type: "string" },
  nnodes: { type: "string" },
  "node-rank": { type: "string" },
  "master-addr": { type: "string" },
  "master-port": { type: "string" },
} as const;

/** Where this machine's ranks sit in the run: `--nproc` per node, `--nnodes`, `--node-rank`, the master. */
export interface Layout {
  /** Ranks on this machine. */
  nproc: number;
  /** Machines taking part. */
  nnodes: number;
  /** This machine's place among them; its ranks are nodeRank·nproc … nodeRank·nproc + nproc − 1. */
  nodeRank: number;
  /** Node 0's address and port, where the ranks meet. */
  masterAddr: string;
  masterPort: number;
}

/**
 * The launch flags, checked; null when this process is to train by itself (one rank in all, or a
 * rank that a launcher started: WORLD_SIZE is set).
 *
 * @throws {OptionError} On a bad layout, before anything starts.
 */
export function launchLayout(flags: Record<string, string | boolean | undefined>): Layout | null {
  const int = (name: string, fallback: number, min: number): number => {
    const v = flags[name];
    if (v === undefined) return fallback;
    const x = Number(v);
    if (typeof v !== "string" || !Number.isInteger(x) || x < min) {
      throw new OptionError(name, `needs an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    }
    return x;
  };
  const nproc = int("nproc", 1, 1);
  const nnodes = int("nnodes", 1, 1);
  const nodeRank = int("node-rank", 0, 0);
  if (nnodes === 1 && (flags["node-rank"] !== undefined || flags["master-addr"] !== undefined)) {
    throw new OptionError("node-rank", "and --master-addr go with --nnodes (2 or more machines)");
  }
  if (nodeRank >= nnodes) throw new OptionError("node-rank", `${nodeRank} is not below --nnodes ${nnodes}`);
  if (nnodes > 1 && flags["master-addr"] === undefined) {
    throw new OptionError(
      "nnodes",
      `${nnodes} needs --master-addr: the address of the node with --node-rank 0, as the others reach it`,
    );
  }
  if (nproc * nnodes === 1 || Deno.env.get("WORLD_SIZE") !== undefined) return null;
  let masterPort = int("master-port", 29500, 1);
  if (masterPort > 65535) throw new OptionError("master-port", `${masterPort} is out of range`);
  if (nnodes === 1 && flags["master-port"] === undefined) masterPort = freePort();
  return { nproc, nnodes, nodeRank, masterAddr: (flags["master-addr"] as string) ?? "127.0.0.1", masterPort };
}

/**
 * `--nproc N` on CUDA needs N GPUs, one per rank (the ranks would say the same, later and less plainly).
 *
 * @throws {OptionError} When the device cannot give each rank a GPU of its own.
 */
export function checkLaunchDevice(n: number, requested: string): void {
  const device = resolveDevice(requested);
  if (device === "cpu") return;
  if (device !== "cuda") {
    throw new OptionError(
      "nproc",
      `${n} --device ${requested}: each process trains on its own GPU (cuda:0 … cuda:${n - 1}); pass --device cuda`,
    );
  }
  const gpus = cudaDeviceCount();
  if (gpus === 0) {
    throw new OptionError(
      "nproc",
      `${n} --device cuda: CUDA was requested but the loaded libtorch has no CUDA support or sees no GPU`,
    );
  }
  if (gpus < n) throw new OptionError("nproc", `${n} --device cuda needs ${n} GPUs, one per process; ${gpus} visible`);
}

/** What each rank runs: the training script with the launcher's own command line, made a rank's. */
export interface RankCommand {
  /** The training script's path. */
  script: string;
  /** The launcher's arguments; its launch flags, --out and --resume are replaced. */
  args: readonly string[];
  /** The run folder every rank is given (rank 0 alone writes to it). */
  out: string;
  /** The checkpoint or run folder to resume, when resuming. */
  resume?: string;
  /** The --threads asked for; 0 shares this machine's cores out among its ranks. */
  threads: number;
}

/** A rank's arguments: the launcher's without the launch flags, with --out, --resume and its share of the cores. */
function rankArgs(command: RankCommand, nproc: number): string[] {
  const replaced = new Set([...Object.keys(LAUNCH_FLAGS).map((f) => `--${f}`), "--out", "--resume"]);
  const args: string[] = [];
  for (let i = 0; i < command.args.length; i++) {
    const [name] = command.args[i].split("=");
    if (replaced.has(name)) {
      if (!command.args[i].includes("=")) i++; // its value
      continue;
    }
    args.push(command.args[i]);
  }
  args.push("--out", command.out);
  if (command.resume) args.push("--resume", command.resume);
  if (command.threads === 0) {
    args.push("--threads", String(Math.max(1, Math.floor(navigator.hardwareConcurrency / nproc))));
  }
  return args;
}

/**
 * Runs this machine's ranks of the layout: copies of `command` with torchrun's variables, the same
 * --out, and this machine's cores shared out. Global rank 0 prints; a failing rank makes the others
 * stop (their collectives would lose a peer). Resolves to the exit status: the first failure's, else 0.
 */
export async function launch(layout: Layout, command: RankCommand): Promise<number> {
  const { nproc: n, nnodes, nodeRank, masterAddr, masterPort } = layout;
  const args = rankArgs(command, n);
  const permissions = ["--allow-ffi", "--allow-env", "--allow-read", "--allow-write", "--allow-net"];
  const first = nodeRank * n;
  console.log(
    nnodes === 1
      ? `train: ${n} processes on this machine (rank 0 reports; MASTER_PORT ${masterPort})`
      : `train: node ${nodeRank} of ${nnodes}, ranks ${first}–${first + n - 1} of ${nnodes * n} ` +
        `(rank 0 reports; master ${masterAddr}:${masterPort})`,
  );
  const children = Array.from({ length: n }, (_, local) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissions, command.script, ...args],
      env: {
        MASTER_ADDR: masterAddr,
        MASTER_PORT: String(masterPort),
        RANK: String(first + local),
        LOCAL_RANK: String(local),
        WORLD_SIZE: String(nnodes * n),
      },
      stdout: first + local === 0 ? "inherit" : "null",
      stderr: "inherit",
    }).spawn());
  const alive = new Set(children);
  const signal = (sig: Deno.Signal) => {
    for (const c of alive) {
      try {
        c.kill(sig);
      } catch { /* it has just exited */ }
    }
  };
  const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => [sig, () => signal(sig)] as const);
  for (const [sig, h] of handlers) Deno.addSignalListener(sig, h);
  // As torchrun does: when one rank fails, the others are stopped rather than left to wait for it
  // (a rank blocked in the rendezvous would wait out the whole timeout), killed if still there later.
  let firstFailure = 0;
  let killer: ReturnType<typeof setTimeout> | undefined;
  const codes = await Promise.all(children.map(async (c, local) => {
    const { code } = await c.status;
    alive.delete(c);
    if (code !== 0 && firstFailure === 0) {
      firstFailure = code;
      if (alive.size > 0) {
        console.error(`train: rank ${first + local} exited with status ${code}; stopping the other ranks`);
        signal("SIGTERM");
        killer = setTimeout(() => signal("SIGKILL"), 10_000);
      }
    }
    return code;
  }));
  clearTimeout(killer);
  for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
  return firstFailure !== 0 ? firstFailure : codes.find((c) => c !== 0) ?? 0;
}
