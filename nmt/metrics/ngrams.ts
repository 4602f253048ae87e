/** Counting n-grams: what BLEU (word n-grams) and chrF (character and word n-grams) share. */

/**
 * Counts of each n-gram of order `n` of `units`, keyed by its units joined with `separator`. A key
 * is unambiguous within one order as long as no unit holds the separator: BLEU's and chrF's words
 * hold no whitespace (joined with a space, as sacreBLEU keys them), and chrF's characters are
 * joined with nothing, each one code point.
 */
export function ngramCounts(units: readonly string[], n: number, separator: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= units.length; i++) {
    const key = units.slice(i, i + n).join(separator);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The counts of every order 1..maxOrder (index n − 1), as {@linkcode ngramCounts} keys them. */
export function ngramCountsUpTo(units: readonly string[], maxOrder: number, separator: string): Map<string, number>[] {
  return Array.from({ length: maxOrder }, (_, i) => ngramCounts(units, i + 1, separator));
}
