/**
 * The differential fuzzer's linear algebra, creation and random ops of issue 17 (group C), spread
 * into `diffOps` by scripts/fuzz/diff_table.ts; their torch readings are the functions of the same
 * names in diff_torch.py. Random draws (randperm, multinomial, normal, uniform) are not compared:
 * their streams are the library's keys, not torch's generator.
 */
import * as torch from "../../../mod.ts";
import type { Tensor } from "../../../mod.ts";
import { ALL, type DiffGen, FLOATS, INTS, NUMERIC } from "../diff_gen.ts";
import { type Args, type DiffSpec, isInt } from "./common.ts";

/** Equations as torch users write them; each letter gets a size, now and then 1 (it broadcasts). */
const EQUATIONS = [
  "ij,jk->ik",
  "ij,jk",
  "bij,bjk->bik",
  "ii->i",
  "ii",
  "i,i",
  "i,j->ij",
  "ij->ji",
  "ij->",
  "...ij,...jk->...ik",
  "...i,...i",
  "bhqd,bhkd->bhqk",
  "ijk->kji",
  "Ab,bC",
  "i,i->i",
  ",i->i",
  "i...->...",
  "ab,cd->dacb",
];
/** Stacks of matrices [batch?, m, n] of f32/f64 (and now and then a dtype both sides refuse). */
const matrixInput = (g: DiffGen, square: boolean): void => {
  const n = g.r.int(0, 4);
  const m = square ? n : g.r.int(0, 4);
  const dtype = g.r.chance(0.05) ? g.dtype(["i64", "bf16"]) : g.dtype(["f32", "f64"]);
  g.tensor([...g.shape(0, 1), m, n], dtype, { special: 0 });
};
const single = (square: boolean, f: (x: Tensor[], a: Args) => Tensor | Tensor[]): DiffSpec => ({
  make: (g) => {
    matrixInput(g, square);
    return {};
  },
  ours: f,
  tolerance: "float",
});

export const LINALG_CREATION_DIFF_OPS: Record<string, DiffSpec> = {
  einsum: {
    make: (g) => {
      const equation = g.r.pick(EQUATIONS);
      const sizes = new Map<string, number>();
      const size = (l: string) => sizes.get(l) ?? (sizes.set(l, g.r.int(1, 4)), sizes.get(l)!);
      const ellipsis = g.shape(0, 2);
      const dtype = g.dtype([...FLOATS, ...INTS]);
      const subs = equation.split("->")[0].split(",");
      for (const sub of subs) {
        const dims = sub.split("...").map((part) => [...part].map((l) => (g.r.chance(0.1) ? 1 : size(l))));
        const shape = dims.length === 2 ? [...dims[0], ...g.broadcastsTo(ellipsis), ...dims[1]] : dims[0];
        g.tensor(shape, dtype, { special: 0.01 });
      }
      return { equation };
    },
    ours: (x, a) => torch.einsum(a.equation as string, ...x),
    tolerance: "float",
  },
  outer: {
    make: (g) => {
      const dtype = g.dtype(NUMERIC);
      g.tensor([g.size()], dtype);
      g.tensor([g.size()], g.r.chance(0.8) ? dtype : g.dtype(NUMERIC));
      return {};
    },
    ours: (x) => torch.outer(x[0] as Tensor<[number]>, x[1] as Tensor<[number]>),
    tolerance: "float",
  },
  addmm: {
    make: (g) => {
      const dtype = g.dtype([...FLOATS, ...INTS]);
      const [n, k, m] = [g.size(), g.size(), g.size()];
      g.tensor(g.broadcastsTo([n, m]), dtype);
      g.tensor([n, k], dtype);
      g.tensor([k, m], dtype);
      const integral = isInt(dtype);
      return g.r.chance(0.3) ? {} : { beta: g.num({ integral }), alpha: g.num({ integral }) };
    },
    ours: (x, a) => torch.addmm(x[0], x[1], x[2] as never, { beta: a.beta, alpha: a.alpha }),
    tolerance: "float",
  },
  // beta = 0 is compared with torch's baddbmm at beta = 1 over zeros: torch 1.13's own beta = 0 reads
  // uninitialized memory (native/linalg.cpp says how; the torch side hit it too, seed 3 call 114).
  baddbmm: {
    make: (g) => {
      const dtype = g.dtype([...FLOATS, ...INTS]);
      const [b, n, k, m] = [g.size(), g.size(), g.size(), g.size()];
      g.tensor(g.broadcastsTo([b, n, m]), dtype);
      g.tensor([b, n, k], dtype);
      g.tensor([b, k, m], dtype);
      const integral = isInt(dtype);
      return g.r.chance(0.3) ? {} : { beta: g.num({ integral }), alpha: g.num({ integral }) };
    },
    ours: (x, a) => torch.baddbmm(x[0], x[1], x[2] as never, { beta: a.beta, alpha: a.alpha }),
    tolerance: "float",
  },
  tensordot: {
    make: (g) => {
      const dtype = g.dtype([...FLOATS, ...INTS]);
      const contracted = g.shape(0, 2);
      const [freeA, freeB] = [g.shape(0, 2), g.shape(0, 2)];
      if (g.r.chance(0.5)) {
        g.tensor([...freeA, ...contracted], dtype);
        g.tensor([...contracted, ...freeB], dtype);
        return { dims: contracted.length };
      }
      // Lists: b holds the contracted dims after its free ones, in a random order (some given negative).
      const k = contracted.length;
      const order = Array.from({ length: k }, (_, i) => i);
      for (let i = k - 1; i > 0; i--) {
        const j = g.r.int(0, i);
        [order[i], order[j]] = [order[j], order[i]];
      }
      const b = [...freeB, ...order.map((i) => contracted[i])];
      g.tensor([...freeA, ...contracted], dtype);
      g.tensor(b, dtype);
      const da = order.map((i) => freeA.length + i);
      const db = order.map((_, j) => freeB.length + j - (g.r.chance(0.3) ? b.length : 0));
      return { dims: [da, db] };
    },
    ours: (x, a) => torch.tensordot(x[0], x[1] as never, a.dims),
    tolerance: "float",
  },
  kron: {
    make: (g) => {
      const dtype = g.dtype(NUMERIC);
      g.tensor(g.shape(0, 3), dtype);
      g.tensor(g.shape(0, 3), g.r.chance(0.8) ? dtype : g.dtype(NUMERIC));
      return {};
    },
    ours: (x) => torch.kron(x[0], x[1]),
    tolerance: "float",
  },
  inverse: single(true, (x) => torch.inverse(x[0] as never)),
  det: single(true, (x) => torch.det(x[0] as never)),
  slogdet: single(true, (x) => {
    const r = torch.slogdet(x[0] as never);
    return [r.sign, r.logAbsDet];
  }),
  solve: {
    make: (g) => {
      const n = g.r.int(1, 4);
      const batch = g.shape(0, 1);
      const dtype = g.dtype(["f32", "f64"]);
      g.tensor([...batch, n, n], dtype, { special: 0 });
      const kind = g.r.pick(["vector", "batchedVector", "matrix"]);
      const b = kind === "vector"
        ? [n]
        : kind === "batchedVector"
        ? [...batch, n]
        : [...g.broadcastWith(batch), n, g.size()];
      g.tensor(b, dtype, { special: 0 });
      return {};
    },
    ours: (x) => torch.solve(x[0], x[1] as never),
    tolerance: "float",
  },
  // Half the inputs made symmetric positive-definite (a aᵀ + n I, composed the same way on both sides).
  cholesky: {
    make: (g) => {
      matrixInput(g, true);
      return { spd: g.r.chance(0.6), upper: g.r.chance(0.5) };
    },
    ours: (x, a) =>
      torch.scope(() => {
        const n = x[0].shape[x[0].rank - 1] ?? 0;
        const input = a.spd
          ? torch.add(
            torch.matmul(x[0], torch.transpose(x[0], -2, -1) as never),
            torch.mul(torch.eye(n, { dtype: x[0].dtype }), n),
          )
          : x[0];
        return torch.cholesky(input as never, { upper: a.upper });
      }),
    tolerance: "float",
  },
  qr: {
    make: (g) => {
      matrixInput(g, false);
      return { mode: g.r.pick(["reduced", "complete"]) };
    },
    ours: (x, a) => {
      const r = torch.qr(x[0] as never, a.mode);
      return [r.q, r.r];
    },
    tolerance: "float",
  },
  svd: {
    make: (g) => {
      matrixInput(g, false);
      return { fullMatrices: g.r.chance(0.5) };
    },
    ours: (x, a) => {
      const r = torch.svd(x[0] as never, { fullMatrices: a.fullMatrices });
      return [r.u, r.s, r.vh];
    },
    tolerance: "float",
  },
  eigh: {
    make: (g) => {
      matrixInput(g, true);
      return { UPLO: g.r.pick(["L", "U"]) };
    },
    ours: (x, a) => {
      const r = torch.eigh(x[0] as never, a.UPLO);
      return [r.eigenvalues, r.eigenvectors];
    },
    tolerance: "float",
  },
  linspace: {
    make: (g) => {
      const dtype = g.r.chance(0.3) ? undefined : g.dtype([...FLOATS, ...INTS]);
      return { start: g.num(), end: g.num(), steps: g.r.int(0, 6), ...(dtype ? { dtype } : {}) };
    },
    ours: (_, a) => torch.linspace(a.start, a.end, a.steps, a.dtype ? { dtype: a.dtype } : undefined),
    tolerance: "float",
  },
  logspace: {
    make: (g) => {
      const dtype = g.r.chance(0.3) ? undefined : g.dtype(FLOATS);
      const base = g.r.pick([10, 2, 0.5, 3]);
      return { start: g.num(), end: g.num(), steps: g.r.int(0, 6), base, ...(dtype ? { dtype } : {}) };
    },
    ours: (_, a) => torch.logspace(a.start, a.end, a.steps, a.base, a.dtype ? { dtype: a.dtype } : undefined),
    tolerance: "float",
  },
  // Its values are unspecified, so what is compared is the shape and dtype it takes from its input.
  emptyLike: {
    make: (g) => {
      g.tensor(g.shape(), g.dtype(ALL));
      return {};
    },
    ours: (x) => torch.scope(() => torch.zerosLike(torch.emptyLike(x[0]))),
    tolerance: "exact",
  },
};
