/**
 * Code point order for strings. JavaScript's `<` compares UTF-16 code units, which puts U+E000–U+FFFF after
 * the astral planes (their surrogates are U+D800–U+DFFF); Rust's `String` order (what Hugging Face's trainers
 * sort by) is UTF-8 byte order, which is code point order. Trainers tie-break with this so the vocabulary is the
 * same whatever the script.
 */
export function compareCodepoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixup(x) - fixup(y);
  }
  return a.length - b.length;
}

/** Moves surrogates above U+E000–U+FFFF, so code unit order at the first difference becomes code point order. */
function fixup(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}
