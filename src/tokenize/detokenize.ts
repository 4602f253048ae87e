/**
 * Word-level output back to running text. The Whitespace pre-tokenizer splits "dell'uomo." into
 * "dell ' uomo ."; scoring and reading want "dell'uomo.". The rules are the few that European
 * punctuation needs: no space before closing punctuation or after opening punctuation, and none
 * around an apostrophe between letters (Italian elision, English contractions).
 */

const CLOSING = /^[.,!?;:%)\]}»”’…]+$/;
const OPENING = /^[(\[{«“‘¿¡]+$/;
const APOSTROPHE = /^['’]$/;
const LETTER = /[\p{L}\p{N}]$/u;
const STARTS_WITH_LETTER = /^[\p{L}\p{N}]/u;

/** Joins tokens into text: `["Dov", "'", "è", "il", "gatto", "?"]` → `"Dov'è il gatto?"`. */
export function detokenize(tokens: readonly string[]): string {
  let out = "";
  let glueNext = false;
  let quoteOpen = false; // straight double quotes alternate: opening, then closing
  tokens.forEach((tok, i) => {
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    const elision = APOSTROPHE.test(tok) && prev !== undefined && LETTER.test(prev) &&
      next !== undefined && STARTS_WITH_LETTER.test(next);
    const quote = tok === '"';
    const closingQuote = quote && quoteOpen;
    const glue = i === 0 || glueNext || CLOSING.test(tok) || elision || closingQuote;
    out += (glue ? "" : " ") + tok;
    glueNext = OPENING.test(tok) || elision || (quote && !quoteOpen);
    if (quote) quoteOpen = !quoteOpen;
  });
  return out;
}
