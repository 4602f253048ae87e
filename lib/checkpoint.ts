/**
 * Gradient checkpointing (`checkpoint(f)`: keep a segment's inputs and outputs, recompute its
 * activations during the backward pass), and the bookkeeping that lets transforms nest: the stack
 * of transforms whose function is running, which `valueAndGrad`, `vjp` and `jvp` (lib/autograd.ts)
 * push and consult, and the native vector-Jacobian product they all share.
 *
 * Why checkpointing lives at the transform level rather than in a custom libtorch autograd node that
 * calls back into JS from its backward: a node's backward runs wherever libtorch's engine schedules
 * it, which for CUDA tensors is a device worker thread, where a synchronous Deno callback cannot run
 * (the JS thread is itself blocked inside the backward call); on CPU it would mean re-entering JS
 * from inside a native call, with JS exceptions crossing the engine. Here the transform knows the
 * function and runs it twice: forward without a graph, then, in the backward pass, once more with
 * one, segment by segment, last first. No JS runs inside libtorch, it works on any device, and
 * dropout recomputes exactly because random keys are explicit (no generator state to replay).
 *
 * @module
 */
import { fail, sym } from "../ffi/lib.ts";
import { TorchError } from "./errors.ts";
import { isFloat } from "./dtype.ts";
import { keep, release, scope } from "./scope.ts";
import { handleList, handleOf, type Tensor, wrap, wrapDescribed } from "./tensor.ts";
import { mapTree } from "./tree.ts";
import { add } from "./ops/elementwise.ts";
import { zerosLike } from "./create.ts";
import { type AutocastDType, autocastDType, withAutocastState } from "./autocast.ts";

// ---- the transform stack ----

/** One transform whose function is running; nested transforms and `checkpoint` consult the innermost. */
export interface Level {
  /**
   * Whether another transform ran inside this one's function. Its loss may then be constant in the
   * parameters (the second derivative of a linear function): a zero gradient, not a mistake.
   */
  sawInner: boolean;
  /** The parameters' leaves, when this level records checkpointed segments (first-order valueAndGrad). */
  readonly checkpointLeaves: readonly Tensor[] | null;
  /** The segments `checkpoint` recorded here, made on the first one. */
  tape: Tape | null;
}

const levels: Level[] = [];

/** Whether a transform is running, i.e. whether what is computed now will be differentiated again. */
export function insideTransform(): boolean {
  return levels.length > 0;
}

/** Runs `fn` as the function of a new transform level (which is returned for its tape and `sawInner`). */
export function atLevel<R>(checkpointLeaves: readonly Tensor[] | null, fn: (level: Level) => R): R {
  if (levels.length > 0) levels[levels.length - 1].sawInner = true;
  const level: Level = { sawInner: false, checkpointLeaves, tape: null };
  levels.push(level);
  try {
    return fn(level);
  } finally {
    levels.pop();
  }
}

/** Whether libtorch records operations right now (false inside `noGrad`). */
function gradEnabled(): boolean {
  const was = sym.dt_set_grad_enabled(1);
  sym.dt_set_grad_enabled(was);
  return was === 1;
}

function withoutGrad<R>(fn: () => R): R {
  const was = sym.dt_set_grad_enabled(0);
  try {
    return fn();
  } finally {
    sym.dt_set_grad_enabled(was);
  }
}

// ---- the native vector-Jacobian product ----

/** dt_vjp's flags (native/nn.cpp). */
export const CREATE_GRAPH = 1, RETAIN_GRAPH = 2, NULL_FOR_UNUSED = 4;

/**
 * The gradients of Σᵢ <outputs[i], cotangents[i]> for `inputs` (a null cotangent: ones). Outputs
 * that record no gradients contribute nothing. Inputs the outputs do not reach get zeros, or null
 * with NULL_FOR_UNUSED.
 */
export function vjpOf(
  outputs: readonly Tensor[],
  cotangents: readonly (Tensor | null)[],
  inputs: readonly Tensor[],
  flags: number,
  op: string,
): (Tensor | null)[] {
  const cots = new BigUint64Array(outputs.length);
  cotangents.forEach((c, i) => {
    if (c !== null) cots[i] = BigInt(Deno.UnsafePointer.value(handleOf(c, op)));
  });
  const slots = new BigUint64Array(inputs.length);
  const code = sym.dt_vjp(
    handleList(outputs, op),
    cots,
    outputs.length,
    handleList(inputs, op),
    inputs.length,
    flags,
    slots,
  );
  if (code !== 0) fail(op);
  return wrapNullable(slots, op);
}

/** Tensors for the handles a native call wrote (0: none), all or none as `wrapAll`. */
export function wrapNullable(slots: BigUint64Array, op: string): (Tensor | null)[] {
  const wrapped: (Tensor | null)[] = [];
  try {
    for (const p of slots) wrapped.push(p === 0n ? null : wrapDescribed(Deno.UnsafePointer.create(p)!, op));
  } catch (e) {
    for (const t of wrapped) if (t !== null) release(t);
    // wrapDescribed freed the one that failed; the ones after it were never wrapped
    for (const p of slots.subarray(wrapped.length + 1)) if (p !== 0n) sym.dt_free(Deno.UnsafePointer.create(p));
    throw e;
  }
  return wrapped;
}

// ---- checkpoint ----

/**
 * Runs `f` without keeping its intermediate activations for the backward pass: inside
 * `valueAndGrad`, the forward pass keeps only the arguments and results of each checkpointed call,
 * and the backward pass runs `f` again, with a graph, to differentiate it. Memory falls from every
 * activation of every layer to one layer's, plus the layers' inputs, for about one more forward pass
 * of time. The gradients are the same; bit for bit where each parameter and each checkpointed result
 * is used once (a chain of layers), otherwise up to the order in which contributions are summed.
 *
 * `f` must be a pure function of its arguments and of tensors that stay alive until the gradient is
 * taken (the parameters `valueAndGrad` passes in are): pass other tensors, such as masks, as
 * arguments (found through arrays and plain objects), since the tensors of a scope that has ended
 * are freed. Random keys make dropout recompute the same masks. Outside a first-order
 * `valueAndGrad` (no transform running, inside `noGrad`, nested transforms, `vjp`/`jvp`,
 * `valueAndGradAllReduced`), `f` simply runs: the results and gradients are the same, without the
 * memory saving.
 *
 * @example
 * ```ts
 * import { checkpoint, linear, randn, rng, scope, sum, tanh, type Tensor, valueAndGrad } from "@deno-torch/torch";
 * scope(() => {
 *   const params = { w1: randn([8, 8], rng(0)), w2: randn([8, 8], rng(1)) };
 *   const layer = checkpoint((w: Tensor<[8, 8]>, x: Tensor<[number, 8]>) => tanh(linear(x, w)));
 *   const x = randn([4, 8], rng(2)); // each layer's activations are recomputed during backward
 *   const { grads } = valueAndGrad((p: typeof params) => sum(layer(p.w2, layer(p.w1, x))))(params);
 * });
 * ```
 */
export function checkpoint<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => R {
  return (...args: A): R => {
    const level = levels[levels.length - 1];
    // A recomputation runs at a level of its own without checkpointLeaves, so nothing nests.
    if (level === undefined || level.checkpointLeaves === null || !gradEnabled()) return f(...args);
    level.tape ??= new Tape(level.checkpointLeaves);
    return level.tape.record(f, args) as R;
  };
}

/** A recorded call of a checkpointed function, holding the tape's own handles. */
interface Segment {
  run: (...args: unknown[]) => unknown;
  /** The arguments, with the tape's handles in place of their tensors. */
  args: unknown[];
  /** The distinct argument tensors that record gradients (the tape's handles). */
  inputs: Tensor[];
  /** The leaves standing for the float results (the tape's handles), and their places among the results. */
  outputs: Tensor[];
  outputPlaces: number[];
  /** The autocast setting it ran under, which its recomputation in backward must run under too. */
  autocast: AutocastDType | null;
}

/** The tensors of a tree of arrays and plain objects, in `mapTree` order. */
function tensorsOf(tree: unknown): Tensor[] {
  const found: Tensor[] = [];
  mapTree(tree, (t) => found.push(t));
  return found;
}

/**
 * The checkpointed segments of one `valueAndGrad` call and the gradients through them.
 *
 * The forward graph is cut at every segment: its results are fresh leaves, so nothing downstream
 * keeps its activations. Backward then runs in pieces, from the last segment to the first. A piece
 * of the ordinary graph ends at "roots", the loss and the argument tensors of segments that are not
 * leaves themselves; a root is back-propagated once, when every segment that took it has given it
 * its gradient (after the segments that first took it, since a tensor can only depend on segments
 * that ran before it). Then a segment's results have all their gradient, and it is run again on
 * fresh leaves of its arguments and back-propagated. Gradients for the same tensor are summed as
 * they come.
 */
export class Tape {
  readonly segments: Segment[] = [];
  /** The tape's own handle of each tensor a segment took or made (a parameter leaf is its own). */
  private readonly own = new Map<Tensor, Tensor>();
  private readonly kept: Tensor[] = [];
  /** The own handles that are leaves of the graph: the parameters and the segments' results. */
  private readonly leaves = new Set<Tensor>();
  /** For each root, the first segment that took it. */
  private readonly firstTaken = new Map<Tensor, number>();

  constructor(private readonly params: readonly Tensor[]) {
    for (const p of params) {
      this.own.set(p, p);
      this.leaves.add(p);
    }
  }

  /** The tape's handle of `t`, lasting until the tape is freed whatever happens to `t`. */
  private ownHandle(t: Tensor): Tensor {
    let h = this.own.get(t);
    if (h === undefined) {
      h = keep(wrap(sym.dt_same_tensor(handleOf(t, "checkpoint")), "checkpoint"));
      this.own.set(t, h);
      this.kept.push(h);
    }
    return h;
  }

  /** Runs `f` without a graph and records it; returns its results with leaves for the float tensors. */
  record(f: (...args: never[]) => unknown, args: unknown[]): unknown {
    const index = this.segments.length;
    const result = scope(() => withoutGrad(() => (f as (...a: unknown[]) => unknown)(...args)));
    const ownArgs = mapTree(args, (t) => this.ownHandle(t)) as unknown[];
    const inputs = [...new Set(tensorsOf(ownArgs).filter((t) => t.requiresGrad))];
    for (const t of inputs) if (!this.leaves.has(t) && !this.firstTaken.has(t)) this.firstTaken.set(t, index);
    const outputs: Tensor[] = [];
    const outputPlaces: number[] = [];
    let place = 0;
    const shown = mapTree(result, (t) => {
      const here = place++;
      if (!isFloat(t.dtype)) return t;
      // t itself is left to its scope: it may be one of the arguments, returned as it was
      const y = wrap(sym.dt_leaf(handleOf(t, "checkpoint")), "checkpoint");
      const own = this.ownHandle(y);
      this.leaves.add(own);
      outputs.push(own);
      outputPlaces.push(here);
      return y;
    });
    const run = f as (...a: unknown[]) => unknown;
    this.segments.push({ run, args: ownArgs, inputs, outputs, outputPlaces, autocast: autocastDType() });
    return shown;
  }

  /** The gradients of `loss` for the parameters, through the recorded segments. */
  gradients(loss: Tensor, op: string): Tensor[] {
    if (!loss.requiresGrad) {
      throw new TorchError(op, "the loss does not depend on any parameter that records gradients");
    }
    const grads = new Map<Tensor, Tensor>();
    const add_ = (keys: readonly Tensor[], contributions: readonly (Tensor | null)[]) => {
      contributions.forEach((g, i) => {
        if (g === null) return;
        const old = grads.get(keys[i]);
        if (old === undefined) grads.set(keys[i], g);
        else {
          grads.set(keys[i], add(old, g));
          release(old);
          release(g);
        }
      });
    };
    const take = (t: Tensor) => {
      const g = grads.get(t) ?? null;
      grads.delete(t);
      return g;
    };
    /** The parameters and the results of segments 0..k: whatever a piece ending before segment k+1 may reach. */
    const reachable = (k: number) => [...this.params, ...this.segments.slice(0, k + 1).flatMap((s) => s.outputs)];
    const roots = [...this.firstTaken.keys()];
    let lossDone = false;
    // Back-propagates (at once, so that shared pieces of graph are traversed once) the loss and
    // every root whose takers all come after segment k.
    const flush = (k: number) => {
      const ready = roots.filter((r) => this.firstTaken.get(r)! > k);
      const outs: Tensor[] = [];
      const cots: (Tensor | null)[] = [];
      if (!lossDone) {
        outs.push(loss);
        cots.push(null);
        lossDone = true;
      }
      for (const r of ready) {
        this.firstTaken.delete(r);
        const g = take(r);
        if (g !== null) {
          outs.push(r);
          cots.push(g);
        }
      }
      roots.splice(0, roots.length, ...roots.filter((r) => this.firstTaken.has(r)));
      if (outs.length === 0) return;
      const inputs = reachable(k);
      add_(inputs, vjpOf(outs, cots, inputs, RETAIN_GRAPH | NULL_FOR_UNUSED, op));
      for (const c of cots) if (c !== null) release(c);
    };
    for (let k = this.segments.length - 1; k >= 0; k--) {
      flush(k);
      const segment = this.segments[k];
      const cots = segment.outputs.map(take);
      if (cots.every((c) => c === null)) continue;
      const keys = [...segment.inputs, ...reachable(k - 1)];
      add_(keys, this.recompute(segment, cots, reachable(k - 1), op));
      for (const c of cots) if (c !== null) release(c);
    }
    flush(-1);
    return this.params.map((p) => take(p) ?? zerosLike(p));
  }

  /**
   * Runs a segment again with a graph, on fresh leaves of its inputs, and back-propagates `cots`
   * from its results: the gradients for its inputs, then for `others` (what it closes over).
   */
  private recompute(segment: Segment, cots: (Tensor | null)[], others: Tensor[], op: string): (Tensor | null)[] {
    return scope(() => {
      const fresh = new Map(segment.inputs.map((t) => [t, wrap(sym.dt_leaf(handleOf(t, op)), op)]));
      const args = mapTree(segment.args, (t) => fresh.get(t) ?? t) as unknown[];
      const result = withAutocastState(segment.autocast, () => atLevel(null, () => segment.run(...args)));
      const all = tensorsOf(result);
      const outs = segment.outputPlaces.map((i) => all[i]);
      if (outs.some((t, i) => t === undefined || t.shape.join() !== segment.outputs[i].shape.join())) {
        throw new TorchError("checkpoint", "f returned different results when run again: it must be a pure function");
      }
      const paired = outs.flatMap((t, i) => cots[i] === null ? [] : [[t, cots[i]!] as const]);
      return vjpOf(
        paired.map(([t]) => t),
        paired.map(([, c]) => c),
        [...fresh.values(), ...others],
        RETAIN_GRAPH | NULL_FOR_UNUSED,
        op,
      );
    });
  }

  /** Frees the tape's handles (its graph goes with the last of them). */
  free(): void {
    for (const t of this.kept) release(t);
    this.kept.length = 0;
    this.own.clear();
  }
}
