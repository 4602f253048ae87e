/**
 * Python's notion of whitespace, which sacreBLEU relies on through `str.split()` and `str.rstrip()`.
 * It is not JS's `\s`: Python also splits on the information separators U+001C–U+001F and on NEL
 * (U+0085), and does not split on the BOM (U+FEFF), which `\s` does. Scores would drift on text
 * holding any of these, so the metrics split with this set and never with `\s`.
 */

// Every code point for which Python 3's str.isspace() is true (all in the BMP).
const SPACES = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
const RUN = new RegExp(`[${SPACES}]+`, "u");
const ONE = new RegExp(`^[${SPACES}]$`, "u");

/** `s.split()` in Python: the non-empty pieces between runs of whitespace. */
export function pySplit(s: string): string[] {
  return s.split(RUN).filter((piece) => piece !== "");
}

/** `s.rstrip()` in Python. A loop rather than a regex anchored at `$`, which backtracks on long runs. */
export function pyRstrip(s: string): string {
  let end = s.length;
  // Whitespace is all in the BMP and no surrogate half is whitespace, so code units suffice here.
  while (end > 0 && ONE.test(s[end - 1])) end--;
  return s.slice(0, end);
}
