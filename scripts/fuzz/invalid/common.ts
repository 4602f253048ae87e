/**
 * What the invalid-input fuzzer's table (scripts/fuzz/table.ts) shares with its groups in this
 * folder: the OpSpec type, mod.ts behind the recording proxy `T`, and the spec builders and draw helpers.
 */
import * as torch from "../../../mod.ts";
import type { Tensor } from "../../../mod.ts";
import type { Inputs } from "../gen.ts";

/** One fuzzed op: `call` makes its arguments from `g` and calls it; `names` are the accepted message prefixes. */
export interface OpSpec {
  call: (g: Inputs) => unknown;
  /** Prefixes a rejection's message may start with (default: the export's name). */
  names?: readonly string[];
}

/** The arguments of the last call made through `T`, for the summary's findings. */
export const lastCall: { args: unknown[] } = { args: [] };

/**
 * mod.ts behind a proxy that records the arguments of each function called through it (nested
 * namespaces too), so that a finding can be reported with the arguments that caused it.
 */
export function recording(target: object): unknown {
  return new Proxy(target, {
    get(obj, key) {
      const value = Reflect.get(obj, key);
      if (typeof value === "function") {
        return (...args: unknown[]) => {
          lastCall.args = args;
          return value(...args);
        };
      }
      return value !== null && typeof value === "object" ? recording(value) : value;
    },
  });
}

// deno-lint-ignore no-explicit-any
export const T = recording(torch) as any;

export const unary = (name: string): OpSpec => ({ call: (g) => T[name](g.tensor()) });

/** Binary ops: tensor ∘ tensor (broadcastable or not), or tensor ∘ number. */
export const binary = (name: string): OpSpec => ({
  call: (g) => {
    const a = g.tensor();
    return T[name](a, g.r.chance(0.3) ? g.num() : g.like(a.shape, g.r.chance(0.7) ? a.dtype : g.dtype()));
  },
});

/** sum/mean/max/min: all elements, or along a dim with keepDim. */
export const reduction = (name: string): OpSpec => ({
  call: (g) => {
    const x = g.tensor();
    return g.r.chance(0.3) ? T[name](x) : T[name](x, g.dim(x.rank), g.r.chance(0.5));
  },
});

export const along = (name: string, names?: string[]): OpSpec => ({
  call: (g) => {
    const x = g.tensor();
    return T[name](x, g.dim(x.rank), g.r.chance(0.5));
  },
  names,
});

export const spread = (name: string, prefix: string): OpSpec => ({
  call: (g) => {
    const x = g.tensor();
    const opts = { unbiased: g.r.chance(0.5), keepDim: g.r.chance(0.5) };
    return g.r.chance(0.3) ? T[name](x, undefined, opts) : T[name](x, g.dim(x.rank), opts);
  },
  names: [prefix],
});

/** Creation options: a dtype (any), sometimes a device that does not exist here. */
export function options(g: Inputs): torch.TensorOptions | undefined {
  if (g.r.chance(0.3)) return undefined;
  return { dtype: g.dtype(), device: g.r.chance(0.05) ? g.r.pick(["cuda:7", "tpu", "cuda"]) as torch.Device : "cpu" };
}

/** Matrix-ish operands: [.., n, k] @ [.., k, m] most of the time, wrong ranks or inner sizes otherwise. */
export function matrices(g: Inputs): [Tensor, Tensor] {
  const [n, k, m] = [g.r.int(0, 3), g.r.int(0, 3), g.r.int(0, 3)];
  const batch = g.r.chance(0.5) ? [] : [g.r.int(1, 2)];
  const a = g.like([...batch, n, k]);
  const b = g.like(g.r.chance(0.8) ? [...batch, k, m] : [k + 1, m]);
  return [a, b];
}
