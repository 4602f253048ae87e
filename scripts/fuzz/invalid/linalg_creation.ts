/**
 * The invalid-input fuzzer's linear algebra, creation and random ops of issue 17 (group C), spread
 * into `ops` by scripts/fuzz/table.ts.
 */
import { scope, type Tensor } from "../../../mod.ts";
import { EDGE_NUMBERS_NOT_ALLOCATABLE, type Inputs } from "../gen.ts";
import { matrices, type OpSpec, options, T } from "./common.ts";

/** Valid equations, and ones with bad letters, repeats, unknown outputs, or not a string at all. */
const EINSUM_EQUATIONS: unknown[] = [
  "ij,jk->ik",
  "ij,jk",
  "bij,bjk->bik",
  "ii->i",
  "ii",
  "...i,...i->...",
  "i,j->ij",
  "ij->ji",
  "...ij,...jk",
  "ij->k",
  "i1",
  "ij->ii",
  "i...j...",
  "",
  "->",
  "i,",
  "ij-",
  42,
  null,
];
const EINSUM_SHAPES = [[2, 3], [3, 4], [3], [3, 3], [2, 3, 4], [2, 4, 3], [], [0, 3], [1, 3]];
/** Mostly stacks of square matrices [.., n, n] (any dtype, often singular), sometimes anything. */
const squareish = (g: Inputs): Tensor => {
  if (g.r.chance(0.2)) return g.tensor();
  const n = g.r.int(0, 3);
  return g.tensor({ shape: [...(g.r.chance(0.3) ? [g.r.int(0, 2)] : []), n, n] });
};

export const LINALG_CREATION_OPS: Record<string, OpSpec> = {
  einsum: {
    call: (g) => {
      const eq = g.r.pick(EINSUM_EQUATIONS);
      const n = typeof eq === "string" ? eq.split("->")[0].split(",").length : 1;
      const count = g.r.chance(0.85) ? n : g.r.int(0, 3);
      // Shapes that fit the subscripts half the time (a letter's size drawn once), any shape otherwise.
      const sizes = new Map<string, number>();
      const fitting = (sub: string) =>
        [...sub.replaceAll("...", "")].map((l) => sizes.get(l) ?? (sizes.set(l, g.r.int(0, 3)), sizes.get(l)!));
      const subs = typeof eq === "string" ? eq.split("->")[0].split(",") : [];
      const shape = (i: number) => g.r.chance(0.5) && i < subs.length ? fitting(subs[i]) : g.r.pick(EINSUM_SHAPES);
      return T.einsum(eq, ...Array.from({ length: count }, (_, i) => g.tensor({ shape: shape(i) })));
    },
  },
  outer: { call: (g) => T.outer(g.tensor({ shape: [g.r.int(0, 3)] }), g.like([g.r.int(0, 3)])) },
  addmm: {
    call: (g) => {
      const [a, b] = matrices(g);
      const input = g.like([a.shape[a.rank - 2] ?? 1, b.shape[b.rank - 1] ?? 1]);
      return T.addmm(input, a, b, g.r.chance(0.5) ? {} : { beta: g.num(), alpha: g.num() });
    },
  },
  baddbmm: {
    call: (g) => {
      const [bt, n, k, m] = [g.r.int(0, 2), g.r.int(0, 3), g.r.int(0, 3), g.r.int(0, 3)];
      const a = g.like([bt, n, k]);
      const b = g.like(g.r.chance(0.8) ? [bt, k, m] : [bt, k + 1, m]);
      return T.baddbmm(g.like([1, m]), a, b, g.r.chance(0.5) ? {} : { beta: g.num(), alpha: g.num() });
    },
  },
  tensordot: {
    call: (g) => {
      const a = g.tensor();
      const b = g.tensor();
      const dims = g.r.chance(0.5)
        ? g.num(() => g.r.int(0, 2))
        : [[g.dim(a.rank)], g.r.chance(0.9) ? [g.dim(b.rank)] : [g.dim(b.rank), g.dim(b.rank)]];
      return T.tensordot(a, b, dims);
    },
  },
  kron: { call: (g) => T.kron(g.tensor(), g.tensor()) },
  quantizeLinear: {
    call: (g) => {
      const weight = g.r.chance(0.8)
        ? g.like([g.r.int(0, 4), g.r.int(0, 4)], g.r.chance(0.8) ? "f32" : undefined)
        : g.tensor();
      const engine = g.r.pick<unknown>(["onednn", "qnnpack", "fbgemm", undefined, 3]);
      return T.quantizeLinear(
        weight,
        g.r.chance(0.3) ? {} : { engine, perChannel: g.r.pick<unknown>([true, false, 1]) },
      );
    },
  },
  linearInt8: {
    // The weight: packed (a call that may itself be refused), or any tensor, i8 ones included; the
    // scope frees the packed weight, which no input list holds.
    call: (g) =>
      scope(() => {
        const [inF, outF] = [g.r.int(0, 3), g.r.int(1, 3)];
        const w = g.like([outF, inF], "f32");
        const packed = g.r.chance(0.7) ? T.quantizeLinear(w) : g.like([outF, inF], g.r.chance(0.5) ? "i8" : undefined);
        const x = g.like(
          g.r.chance(0.8) ? [g.r.int(0, 3), inF] : [g.r.int(0, 3), inF + 1],
          g.r.chance(0.8) ? "f32" : undefined,
        );
        return T.linearInt8(x, packed, g.r.chance(0.5) ? g.like([g.r.chance(0.9) ? outF : outF + 1]) : undefined);
      }),
    names: ["linearInt8", "quantizeLinear"],
  },
  inverse: { call: (g) => T.inverse(squareish(g)) },
  det: { call: (g) => T.det(squareish(g)) },
  slogdet: { call: (g) => T.slogdet(squareish(g)) },
  solve: {
    call: (g) => {
      const a = squareish(g);
      const n = a.shape[a.rank - 1] ?? 1;
      return T.solve(a, g.like(g.r.chance(0.5) ? [n] : [n, g.r.int(0, 3)], a.dtype));
    },
  },
  cholesky: { call: (g) => T.cholesky(squareish(g), { upper: g.r.chance(0.5) }) },
  qr: { call: (g) => T.qr(g.tensor(), g.r.pick(["reduced", "complete", "r", undefined])) },
  svd: { call: (g) => T.svd(g.tensor(), { fullMatrices: g.r.chance(0.5) }) },
  eigh: { call: (g) => T.eigh(squareish(g), g.r.pick(["L", "U", "X", undefined])) },
  linspace: {
    call: (g) => T.linspace(g.num(), g.num(), g.num(() => g.r.int(0, 5), EDGE_NUMBERS_NOT_ALLOCATABLE), options(g)),
  },
  logspace: {
    call: (g) =>
      T.logspace(g.num(), g.num(), g.num(() => g.r.int(0, 5), EDGE_NUMBERS_NOT_ALLOCATABLE), g.num(), options(g)),
  },
  emptyLike: { call: (g) => T.emptyLike(g.tensor(), options(g)) },
  randperm: {
    call: (g) => T.randperm(g.num(() => g.r.int(0, 6), EDGE_NUMBERS_NOT_ALLOCATABLE), g.key(), options(g)),
  },
  multinomial: {
    call: (g) => {
      const shape = g.r.pick([[3], [2, 3], [0], [2], [], [2, 2, 2]]);
      const raw = g.tensor({ shape });
      const probs = g.r.chance(0.6) && !raw.freed && raw.dtype !== "bool" ? g.own(T.abs(raw)) : raw;
      const n = g.num(() => g.r.int(1, 4), EDGE_NUMBERS_NOT_ALLOCATABLE);
      return T.multinomial(probs, n, { replacement: g.r.chance(0.5) }, g.key());
    },
  },
  normal: {
    call: (g) => T.normal(g.shape(), { mean: g.num(), std: g.num(), ...options(g) }, g.key()),
  },
  uniform: {
    call: (g) => T.uniform(g.shape(), { low: g.num(), high: g.num(() => 4), ...options(g) }, g.key()),
  },
};
