/**
 * Random argument generators for the invalid-input fuzzer: tensors of every dtype and layout (0-dim,
 * empty, transposed, sliced, expanded, freed), numbers from the edge cases (NaN, ±Infinity, 1e300,
 * negative, fractional), shapes and dims in and out of range. All randomness comes from one seeded
 * generator, so a run is reproducible from its seed.
 */
import * as torch from "../../mod.ts";
import type { DType, Tensor } from "../../mod.ts";

/** A small seeded PRNG (mulberry32): the fuzzer must not depend on Math.random. */
export class Rand {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Numbers that break careless code: not finite, huge, negative, fractional, past int32. */
export const EDGE_NUMBERS: readonly number[] = [
  NaN,
  Infinity,
  -Infinity,
  1e300,
  -1e300,
  -1,
  -7,
  0.5,
  1.5,
  -0.5,
  2 ** 31,
  2 ** 32 + 1,
  2 ** 53,
  -(2 ** 31) - 1,
  Number.MAX_SAFE_INTEGER,
  1e-300,
];

/**
 * The edge numbers without the large ones that are still valid sizes (2³¹, 2³² + 1): an op that takes
 * a number as a length (arange's end) would honestly allocate 8-16 GiB for them, which is a valid
 * request, not a defect, and would only get the fuzzer OOM-killed. Far larger ones (2⁵³, 1e300) stay.
 */
export const EDGE_NUMBERS_NOT_ALLOCATABLE: readonly number[] = EDGE_NUMBERS.filter((x) =>
  !(Math.abs(x) >= 2 ** 31 && Math.abs(x) <= 2 ** 33)
);

const DTYPES: readonly DType[] = ["f32", "f32", "f32", "f64", "i64", "i32", "bool", "f16", "bf16"] as DType[];

/** What the fuzzer made for one call: every tensor here is freed after the call. */
export class Inputs {
  readonly tensors: Tensor[] = [];
  constructor(readonly r: Rand) {}

  own(t: Tensor): Tensor {
    this.tensors.push(t);
    return t;
  }

  /** Frees everything made for the call (freed ones are skipped by `free`). */
  release(): void {
    for (const t of this.tensors) if (!t.freed) t.free();
  }

  /** A number: usually sane (small, mostly integer), sometimes an edge case. */
  num(sane: () => number = () => this.r.pick([0, 1, 2, 3, -1, 0.25, 0.1]), edges = EDGE_NUMBERS): number {
    return this.r.chance(0.2) ? this.r.pick(edges) : sane();
  }

  /** A dim for a tensor of rank `rank`: in range most of the time, else out of range or not an integer. */
  dim(rank: number): number {
    if (this.r.chance(0.8)) return this.r.int(-Math.max(rank, 1), Math.max(rank - 1, 0));
    return this.r.pick([rank, -rank - 1, 7, -9, 0.5, NaN, Infinity, 2 ** 31, 2 ** 53]);
  }

  /** A shape: small sizes, sometimes empty (a 0), 0-dim, or invalid (negative, fractional, huge). */
  shape(maxRank = 4): number[] {
    const rank = this.r.int(0, maxRank);
    const s = Array.from({ length: rank }, () => this.r.pick([1, 2, 3, 4, 0, 2, 3]));
    if (rank > 0 && this.r.chance(0.12)) {
      // Huge sizes only far past any allocation, so a check (not the OOM killer) must refuse them.
      s[this.r.int(0, rank - 1)] = this.r.pick([-1, -3, 1.5, NaN, Infinity, 2 ** 62, 1e300, 2 ** 53]);
    }
    return s;
  }

  /** A valid shape (small sizes, sometimes 0-dim or empty), for tensors the fuzzer itself makes. */
  validShape(maxRank = 4): number[] {
    return Array.from({ length: this.r.int(0, maxRank) }, () => this.r.pick([1, 2, 3, 4, 0, 2]));
  }

  dtype(): DType {
    return this.r.pick(DTYPES);
  }

  /** A valid tensor of `shape` and `dtype`, made by the library (so creation itself is not fuzzed here). */
  make(shape: readonly number[], dtype: DType = "f32"): Tensor {
    const t = torch.randn([...shape], torch.rng(this.r.int(0, 1000)));
    if (dtype === "f32") return this.own(t);
    this.own(t);
    if (dtype === "i64" || dtype === "i32") {
      const m = torch.mul(t, 3);
      this.own(m);
      return this.own(torch.cast(m, dtype));
    }
    if (dtype === "bool") return this.own(torch.gt(t, 0));
    return this.own(torch.cast(t, dtype));
  }

  /**
   * A random tensor: any dtype and rank, sometimes a non-contiguous view (transpose, strided slice,
   * expand), sometimes already freed.
   */
  tensor(opts: { shape?: readonly number[]; dtype?: DType } = {}): Tensor {
    const dtype = opts.dtype ?? (this.r.chance(0.65) ? "f32" : this.dtype());
    const shape = opts.shape ?? this.validShape();
    const t = this.layout(shape, dtype);
    if (this.r.chance(0.05)) t.free();
    return t;
  }

  /** `shape` made directly or as a non-contiguous view with that same shape. */
  layout(shape: readonly number[], dtype: DType): Tensor {
    const kind = this.r.pick(["plain", "plain", "plain", "transpose", "slice", "expand"]);
    if (kind === "transpose" && shape.length >= 2) {
      const n = shape.length;
      const swapped = [...shape];
      [swapped[0], swapped[n - 1]] = [swapped[n - 1], swapped[0]];
      return this.own(torch.transpose(this.make(swapped, dtype), 0, n - 1));
    }
    if (kind === "slice" && shape.length >= 1) {
      const doubled = [...shape];
      doubled[0] = shape[0] * 2;
      return this.own(torch.slice(this.make(doubled, dtype), 0, 0, doubled[0], 2));
    }
    if (kind === "expand" && shape.length >= 1 && shape[0] > 0) {
      const one = [1, ...shape.slice(1)];
      return this.own(torch.expand(this.make(one, dtype), [...shape]));
    }
    return this.make(shape, dtype);
  }

  /** A tensor whose shape is `shape` most of the time, or a random other one (mismatch). */
  like(shape: readonly number[], dtype?: DType): Tensor {
    return this.r.chance(0.75) ? this.tensor({ shape, dtype }) : this.tensor({ dtype });
  }

  /** An index tensor (i64, sometimes i32 or a wrong dtype) with values in [lo, hi]. */
  index(shape: readonly number[], lo: number, hi: number): Tensor {
    if (this.r.chance(0.1)) return this.tensor({ shape });
    const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => this.r.int(lo, hi));
    const t = this.own(torch.tensor(values, [...shape], { dtype: "i64" }));
    if (this.r.chance(0.15)) return this.own(torch.cast(t, "i32"));
    return t;
  }

  key(): torch.Key {
    return torch.rng(this.r.int(0, 1000));
  }
}
