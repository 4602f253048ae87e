/**
 * Data-parallel training across processes on libtorch's distributed engine (c10d, Gloo on CPU):
 * join a group, average gradient trees across it, broadcast rank 0's parameters, wait at a barrier.
 * The rendezvous reads the variables `torchrun` sets (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE),
 * so an external launcher works unchanged.
 *
 * @module
 */
import { fail, sym } from "../ffi/lib.ts";
import { envVar } from "../ffi/env.ts";
import { flatten, type MapLeaves, mapTree } from "./tree.ts";
import type { Tensor } from "./tensor.ts";
import { handleList, wrapAll } from "./optim/handles.ts";

/** Where and who: rank `rank` of `worldSize` processes meeting at `masterAddr:masterPort`. */
export interface DistributedConfig {
  /** This process's rank, 0 … worldSize − 1; rank 0 hosts the rendezvous. */
  rank: number;
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
  return {
    worldSize: int("WORLD_SIZE", world),
    rank: int("RANK", envVar("RANK")),
    masterAddr: envVar("MASTER_ADDR") ?? "127.0.0.1",
    masterPort: int("MASTER_PORT", envVar("MASTER_PORT"), 29500),
  };
}

/** Joins the process group (blocks until all `worldSize` ranks have joined, or the timeout). */
export function initDistributed(c: DistributedConfig): void {
  const addr = new TextEncoder().encode(`${c.masterAddr}\0`);
  if (sym.dt_dist_init(addr, c.masterPort, c.rank, c.worldSize, c.timeoutMs ?? 60_000) !== 0) fail("initDistributed");
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

function collective<T>(tree: T, op: string, call: (handles: BigUint64Array, n: number, out: BigUint64Array) => number) {
  const leaves = flatten(tree);
  const out = new BigUint64Array(leaves.length);
  if (call(handleList(leaves.map(([, t]) => t), op), leaves.length, out) !== 0) fail(op);
  const wrapped = wrapAll(out, op);
  const results = new Map(leaves.map(([path], i) => [path, wrapped[i]]));
  return mapTree(tree, (_, path) => results.get(path)!) as MapLeaves<T, Tensor>;
}

/** Every leaf summed across the ranks and divided by their number (one collective over all of them). */
export function allReduceMean<T>(tree: T): MapLeaves<T, Tensor> {
  return collective(tree, "allReduceMean", (h, n, out) => sym.dt_dist_allreduce(h, n, 1, out));
}

/** Every leaf summed across the ranks. */
export function allReduceSum<T>(tree: T): MapLeaves<T, Tensor> {
  return collective(tree, "allReduceSum", (h, n, out) => sym.dt_dist_allreduce(h, n, 0, out));
}

/** Rank `root`'s values of every leaf, on every rank (e.g. the initial parameters). */
export function broadcast<T>(tree: T, root = 0): MapLeaves<T, Tensor> {
  return collective(tree, "broadcast", (h, n, out) => sym.dt_dist_broadcast(h, n, root, out));
}

/** Waits until every rank has called it. */
export function barrier(): void {
  if (sym.dt_dist_barrier() !== 0) fail("barrier");
}
