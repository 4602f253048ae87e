/**
 * Python's `f"{x:.{digits}f}"`, which sacreBLEU uses to print scores. JS's `toFixed` differs on exact
 * ties: a value exactly halfway between two outputs (6.25 to 1 digit: precisions like 1/16 are
 * common) goes up in JS ("6.3") and to the even digit in Python ("6.2"). Both round the exact binary
 * value otherwise, so only ties need fixing.
 */
export function pyFixed(x: number, digits: number): string {
  const js = x.toFixed(digits);
  if (!Number.isFinite(x)) return js;
  // toFixed(100) is the exact decimal expansion of any double of magnitude above ~1e-48 (enough for
  // scores); a tie means it reads "...<kept digits>5000...".
  const exact = Math.abs(x).toFixed(100);
  const cut = exact.indexOf(".") + (digits > 0 ? digits + 1 : 0);
  if (!/^50*$/.test(exact.slice(cut + (digits > 0 ? 0 : 1)))) return js;
  const kept = exact.slice(0, cut); // the value truncated to `digits` digits
  if (Number(kept.at(-1)) % 2 === 1) return js; // odd: rounding up reaches the even digit, as JS did
  return (x < 0 ? "-" : "") + kept; // Python keeps the sign of a negative tie: "-0", "-6.2"
}
