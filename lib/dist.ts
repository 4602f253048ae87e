/**
 * Data-parallel training across processes on libtorch's distributed engine (c10d: Gloo for CPU
 * tensors, NCCL for CUDA ones): join a group, average gradient trees across it, broadcast rank 0's
 * parameters, wait at a barrier. The rendezvous reads the variables `torchrun` sets (MASTER_ADDR,
 * MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK), so an external launcher works unchanged.
 *
 * @module
 */
import { fail, sym } from "../ffi/lib.ts";
import { envVar } from "../ffi/env.ts";
import { type MapLeaves, replaceLeaves, treeLeaves } from "./tree.ts";
import { handleList, handleOf, type Tensor, wrapAll } from "./tensor.ts";
import type { Device } from "./device.ts";
import { boundedArg, int32Arg } from "./scratch.ts";
import { type GradientsOf, type ValueAndGrad, valueAndGradBy } from "./autograd.ts";

/**
 * How the ranks talk: `"gloo"` moves CPU tensors (over TCP), `"nccl"` CUDA tensors (GPU to GPU; one
 * GPU per rank, `cuda:localRank`).
 */
export type DistributedBackend = "gloo" | "nccl";

const BACKENDS: readonly DistributedBackend[] = ["gloo", "nccl"];

/** Where and who: rank `rank` of `worldSize` processes meeting at `masterAddr:masterPort`. */
export interface DistributedConfig {
  /** This process's rank, 0 … worldSize − 1; rank 0 hosts the rendezvous. */
  rank: number;
  /** Its index among the ranks on its own machine (LOCAL_RANK; default `rank`): NCCL's rank uses `cuda:localRank`. */
  localRank?: number;
  /** Gloo (the default) for CPU tensors, NCCL for CUDA tensors: see `backendFor`. */
  backend?: DistributedBackend;
  /** How many processes take part. */
  worldSize: number;
  /** Where rank 0 listens (MASTER_ADDR). */
  masterAddr: string;
  /** Its port (MASTER_PORT). */
  masterPort: number;
  /** How long joining and each collective may wait for the other ranks, ms (default 60 s). */
  timeoutMs?: number;
}

/** The config from torchrun's variables, or null when WORLD_SIZE is unset. Throws naming a bad value. */
export function distributedConfigFromEnv(): DistributedConfig | null {
  const world = envVar("WORLD_SIZE");
  if (world === undefined) return null;
  const int = (name: string, value: string | undefined, fallback?: number): number => {
    const n = value === undefined ? fallback : Number(value);
    if (n === undefined || !Number.isInteger(n) || n < 0) {
      throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
    }
    return n;
  };
  const rank = int("RANK", envVar("RANK"));
  return {
    worldSize: int("WORLD_SIZE", world),
    rank,
    localRank: int("LOCAL_RANK", envVar("LOCAL_RANK"), rank),
    masterAddr: envVar("MASTER_ADDR") ?? "127.0.0.1",
    masterPort: int("MASTER_PORT", envVar("MASTER_PORT"), 29500),
  };
}

/**
 * A TCP port free on this machine now, for MASTER_PORT when all ranks run here (ask the OS for one,
 * then let it go: the rendezvous binds it a moment later).
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** The backend for tensors on `device`, as torch.distributed picks it: NCCL for CUDA, Gloo for CPU. */
export function backendFor(device: Device): DistributedBackend {
  return device === "cpu" ? "gloo" : "nccl";
}

/**
 * The device a rank of `config` trains on when its run asks for `device` (`"cpu"` or `"cuda"`): on
 * CUDA, its own GPU, `cuda:localRank`. A run cannot name one GPU (`"cuda:1"`) for all of its ranks.
 */
export function rankDevice(config: DistributedConfig, device: Device): Device {
  if (device === "cpu") return "cpu";
  if (device !== "cuda") {
    throw new RangeError(
      `device ${device}: in a data-parallel run each rank uses its own GPU, cuda:LOCAL_RANK; ask for "cuda"`,
    );
  }
  return `cuda:${config.localRank ?? config.rank}`;
}

/**
 * Joins the process group (blocks until all `worldSize` ranks have joined, or the timeout). With
 * NCCL, this rank's GPU (`cuda:localRank`) becomes the current CUDA device.
 */
export function initDistributed(c: DistributedConfig): void {
  const backend = c.backend ?? "gloo";
  if (!BACKENDS.includes(backend)) {
    throw new RangeError(`initDistributed: backend must be "gloo" or "nccl", got ${JSON.stringify(backend)}`);
  }
  const addr = new TextEncoder().encode(`${c.masterAddr}\0`);
  const code = BACKENDS.indexOf(backend);
  const op = "initDistributed";
  const rank = int32Arg(c.rank, "rank", op), worldSize = int32Arg(c.worldSize, "worldSize", op);
  const local = int32Arg(c.localRank ?? c.rank, "localRank", op);
  if (!(worldSize >= 1 && rank >= 0 && rank < worldSize && local >= 0)) {
    throw new RangeError(
      `${op}: needs 0 ≤ rank < worldSize and localRank ≥ 0, got rank ${rank} of ${worldSize}, local ${local}`,
    );
  }
  const port = int32Arg(c.masterPort, "masterPort", op);
  if (!(port >= 1 && port <= 65535)) throw new RangeError(`${op}: masterPort must be in [1, 65535], got ${port}`);
  const timeoutMs = positiveArg(c.timeoutMs ?? 60_000, Number.MAX_SAFE_INTEGER, "timeoutMs", "ms", "initDistributed");
  if (sym.dt_dist_init(addr, port, rank, worldSize, timeoutMs, code, local) !== 0) {
    fail("initDistributed");
  }
}

/** The group's backend, or null outside a group. */
export function distributedBackend(): DistributedBackend | null {
  return BACKENDS[sym.dt_dist_backend()] ?? null;
}

/** This process's rank, or -1 outside a group. */
export function rank(): number {
  return sym.dt_dist_rank();
}

/** The number of processes in the group (0 outside one). */
export function worldSize(): number {
  return sym.dt_dist_size();
}

/** Leaves the group. */
export function destroyDistributed(): void {
  if (sym.dt_dist_destroy() !== 0) fail("destroyDistributed");
}

/** One native collective over all the leaves of `tree` at once; the results in the tree's structure. */
function collective<T>(
  tree: T,
  op: string,
  call: (handles: BigUint64Array, n: number, out: BigUint64Array) => number,
): MapLeaves<T, Tensor> {
  const leaves = treeLeaves(tree);
  const out = new BigUint64Array(leaves.length);
  if (call(handleList(leaves, op), leaves.length, out) !== 0) fail(op);
  return replaceLeaves(tree, wrapAll(out, op));
}

/** Every leaf summed across the ranks and divided by their number (one collective over all of them). */
export function allReduceMean<T>(tree: T): MapLeaves<T, Tensor> {
  return collective(tree, "allReduceMean", (h, n, out) => sym.dt_dist_allreduce(h, n, 1, out));
}

/** Every leaf summed across the ranks. */
export function allReduceSum<T>(tree: T): MapLeaves<T, Tensor> {
  return collective(tree, "allReduceSum", (h, n, out) => sym.dt_dist_allreduce(h, n, 0, out));
}

/** Options of `valueAndGradAllReduced`. */
export interface AllReduceGradOptions {
  /** Gradients travel in buckets of about this many MB (default 25, as DistributedDataParallel's; the first is ≤ 1 MB). */
  bucketMb?: number;
}

/**
 * `valueAndGrad` for data-parallel training: the gradients come back **summed across the ranks**,
 * and the summing overlaps backward, as in DistributedDataParallel: the parameters are grouped into
 * buckets in the order backward will produce their gradients (read off the autograd graph, so the
 * same at every step), and each bucket's all-reduce starts as soon as it is full. The value is this
 * rank's own loss. Every rank must call it with the same parameter tree, and its loss must use the
 * parameters alike (the same graph), as DDP also requires.
 *
 * @example
 * ```ts
 * import { mul, sum, type Tensor, valueAndGradAllReduced } from "@deno-torch/torch";
 * // In each rank, after initDistributed(...): params and this rank's batch x.
 * const f = valueAndGradAllReduced((p: { w: Tensor }, x: Tensor) => sum(mul(p.w, x)));
 * // const { value, grads } = f(params, x); // grads.w: the sum over the ranks' batches
 * ```
 */
export function valueAndGradAllReduced<P, A extends unknown[]>(
  f: (params: P, ...args: A) => Tensor,
  options: AllReduceGradOptions = {},
): (params: P, ...args: A) => ValueAndGrad<P, Tensor<[]>> {
  const bucketMb = options.bucketMb ?? 25;
  // Native code turns the MB into a byte count (an int64): 2^33 MB is 2^53 bytes.
  positiveArg(bucketMb, 2 ** 33, "bucketMb", "MB", "valueAndGradAllReduced");
  const summed: GradientsOf = (loss, leaves, op) => {
    const out = new BigUint64Array(leaves.length);
    if (sym.dt_dist_grad_allreduce(handleOf(loss, op), handleList(leaves, op), leaves.length, bucketMb, out) !== 0) {
      fail(op);
    }
    return wrapAll(out, op);
  };
  return valueAndGradBy(f, summed, false, "valueAndGradAllReduced") as (
    params: P,
    ...args: A
  ) => ValueAndGrad<P, Tensor<[]>>;
}

/** Rank `root`'s values of every leaf, on every rank (e.g. the initial parameters). */
export function broadcast<T>(tree: T, root = 0): MapLeaves<T, Tensor> {
  return collective(tree, "broadcast", (h, n, out) => sym.dt_dist_broadcast(h, n, root, out));
}

/** Waits until every rank has called it. */
export function barrier(): void {
  if (sym.dt_dist_barrier() !== 0) fail("barrier");
}

/** A positive finite `value` of at most `max`, for an f64 that native code casts to int64. */
function positiveArg(value: number, max: number, name: string, unit: string, op: string): number {
  if (!(value > 0)) throw new RangeError(`${op}: ${name} must be a positive number of ${unit}, got ${value}`);
  return boundedArg(value, max, name, op);
}
