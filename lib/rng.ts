/**
 * Explicit randomness, JAX style: a `Key` is a plain value (a 64-bit seed as two uint32 halves).
 * Functions that draw random numbers take a key and are deterministic in it; `split` derives
 * independent keys, so the same seed replays a run exactly and nothing hides in global state.
 * Each draw seeds a fresh libtorch generator from the key, on the tensor's device.
 *
 * @module
 */

/**
 * A random key: an immutable 64-bit value that every random function takes explicitly. Make one with
 * `rng(seed)`, derive more with `split` or `fold`, and never reuse one key for two draws that should
 * differ. It survives JSON (`toJSON` / `keyFromJSON`), so checkpoints can resume a run's randomness.
 *
 * @example
 * ```ts
 * import { rand, rng, scope, splitKey } from "@deno-torch/torch";
 * const [k1, k2] = splitKey(rng(42));
 * scope(() => {
 *   const a = rand([3], k1);
 *   const b = rand([3], k2); // independent of a; rand([3], k1) again would equal a
 * });
 * ```
 */
export class Key {
  /**
   * A key from its two halves. Prefer `rng`, `split` and `fold`, which mix the bits; a hand-made key
   * from small numbers gives a poorly mixed stream.
   *
   * @param hi the upper 32 bits, an unsigned integer
   * @param lo the lower 32 bits, an unsigned integer
   * @throws {RangeError} If either half is not an integer in [0, 2^32).
   */
  constructor(readonly hi: number, readonly lo: number) {
    // Native code reads each half as a uint32: anything else would be truncated without a word.
    if (!isUint32(hi) || !isUint32(lo)) {
      throw new RangeError(`Key: hi and lo must be uint32 integers, got ${hi}, ${lo}`);
    }
  }

  /** The key as `[hi, lo]`, which is what `JSON.stringify` writes; `keyFromJSON` reads it back. */
  toJSON(): [number, number] {
    return [this.hi, this.lo];
  }

  /** A readable form for logs, `Key(hi, lo)`. */
  toString(): string {
    return `Key(${this.hi}, ${this.lo})`;
  }
}

const isUint32 = (x: number) => Number.isInteger(x) && x >= 0 && x <= 0xffff_ffff;

/** A key from an integer seed in [0, 2^53). */
export function rng(seed: number): Key {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`rng(seed): seed must be an integer in [0, 2^53), got ${seed}`);
  }
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
  const lo = seed >>> 0;
  // Mix once so that small neighbouring seeds give unrelated streams.
  return mix(hi, lo, 0x5eed);
}

/** A key restored from `key.toJSON()`. */
export function keyFromJSON(value: unknown): Key {
  if (
    !Array.isArray(value) || value.length !== 2 ||
    !value.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff)
  ) {
    throw new TypeError(`not a serialized Key: ${JSON.stringify(value)}`);
  }
  return new Key(value[0], value[1]);
}

/** `n` new keys, independent of each other and of `key`. */
export function splitKey(key: Key, n = 2): Key[] {
  const out: Key[] = [];
  for (let i = 0; i < n; i++) out.push(mix(key.hi, key.lo, i + 1));
  return out;
}

/** A key derived from `key` and an integer (a step number, a layer index, ...). */
export function fold(key: Key, data: number): Key {
  return mix(key.hi ^ 0x85ebca6b, key.lo, (data >>> 0) ^ 0x27d4eb2f);
}

/**
 * Keys for the named parts of a computation: `{ [names[i]]: fold(key, i) }`. A layer splits its key
 * once, in one place, into one key per part that draws randomness (a dropout site, a sublayer), so
 * each part reads its key by name instead of by a position number. A part's key depends only on its
 * index, so appending a name leaves the keys of the others unchanged. A null key (no randomness, as
 * in evaluation) gives null keys, so layers split the same way whether or not they draw.
 *
 * @example
 * ```ts
 * import { namedKeys, rng } from "@deno-torch/torch";
 * const { attention, feedForward } = namedKeys(rng(0), ["attention", "feedForward"]);
 * // attention is fold(rng(0), 0), feedForward is fold(rng(0), 1)
 * ```
 */
export function namedKeys<const N extends string, K extends Key | null>(key: K, names: readonly N[]): Record<N, K> {
  return Object.fromEntries(names.map((name, i) => [name, key && fold(key, i)])) as Record<N, K>;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mix(hi: number, lo: number, counter: number): Key {
  const a = fmix(lo ^ Math.imul(counter, 0x9e3779b9));
  const b = fmix(hi ^ a ^ Math.imul(counter + 0x632be5ab, 0x85ebca6b));
  const c = fmix(a ^ Math.imul(b, 0xcc9e2d51) ^ counter);
  return new Key(b, c);
}
