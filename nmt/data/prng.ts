/**
 * A small seeded generator for data decisions made in JS (shuffles, splits, corpus sampling). Tensor
 * randomness uses Keys (lib/rng.ts); this is for plain numbers, where a JS generator is simpler and
 * exactly reproducible across machines.
 */

/**
 * A seeded random number generator (mulberry32, 32-bit state) for shuffles and sampling: uniform
 * in [0, 1), and the same sequence for the same seed on every machine.
 *
 * @example
 * ```ts
 * import { Prng } from "@deno-torch/torch/nmt";
 * const rng = new Prng(42);
 * rng.int(6); // a die roll, 0..5
 * rng.shuffle([1, 2, 3, 4]);
 * ```
 */
export class Prng {
  #state: number;

  /** A generator for `seed`, any safe integer; throws a RangeError for anything else. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Prng: seed must be an integer, got ${seed}`);
    // Fold the high bits in too, so seeds above 2^32 still differ.
    this.#state = (seed ^ Math.floor(seed / 0x1_0000_0000)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One element of `items`, uniformly at random (undefined when `items` is empty). */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/**
 * A seed derived from a base seed and a purpose (e.g. an epoch number), spread over 32 bits.
 *
 * @example
 * ```ts
 * import { deriveSeed, Prng } from "@deno-torch/torch/nmt";
 * const epochRng = new Prng(deriveSeed(1234, 3)); // seed 1234, epoch 3
 * ```
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const p of [Math.floor(seed / 0x1_0000_0000), ...parts]) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}
