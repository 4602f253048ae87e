/**
 * Python's `str.lower()`, which sacreBLEU applies for `lowercase=True` (BLEU, chrF) and by default in
 * TER. JS's `toLowerCase()` implements the same Unicode full case mapping, locale-independently,
 * including the context-dependent final sigma ("ΟΔΟΣ" → "οδος") and the two-code-point "İ" → "i̇";
 * the two agree wherever their Unicode versions do. Named after Python so the call sites say which
 * behaviour they rely on.
 */
export function pyLower(s: string): string {
  return s.toLowerCase();
}
