/**
 * Word-level output back to running text. The Whitespace pre-tokenizer splits "dell'uomo." into
 * "dell ' uomo ."; scoring and reading want "dell'uomo.". The rules are the few that European
 * punctuation needs: no space before closing punctuation or after opening punctuation, and none
 * around an apostrophe between letters (Italian elision, English contractions).
 *
 * An apostrophe after a letter always joins that word; it joins the next word too unless the word
 * before is one of Italian's truncated forms ("un po' di", "Di' la verità", "Va' via"), which
 * keep their apostrophe and a space, or an English plural possessive ("the parents' house").
 * "po'" alone is in about 1% of Tatoeba's Italian sentences.
 */

const CLOSING = /^[.,!?;:%)\]}»”’…]+$/;
const OPENING = /^[(\[{«“‘¿¡]+$/;
const APOSTROPHE = /^['’]$/;
const LETTER = /[\p{L}\p{N}]$/u;
const STARTS_WITH_LETTER = /^[\p{L}\p{N}]/u;
/** Truncated words written with a final apostrophe and then a space (apocope). */
const TRUNCATED = new Set(["po", "di", "da", "fa", "va", "sta", "be", "mo", "e"]);

/** English endings after an apostrophe, which always join: "Jess's", "don't", "we'll". */
const CLITIC = new Set(["s", "t", "ll", "re", "ve", "d", "m"]);

/** Whether a word before an apostrophe keeps a space after it: "po' di", "parents' house". */
function keepsSpace(word: string): boolean {
  const lower = word.toLowerCase();
  return TRUNCATED.has(lower) || (lower.length > 1 && lower.endsWith("s"));
}

/** Joins tokens into text: `["Dov", "'", "è", "il", "gatto", "?"]` → `"Dov'è il gatto?"`. */
export function detokenize(tokens: readonly string[]): string {
  let out = "";
  let glueNext = false;
  let quoteOpen = false; // straight double quotes alternate: opening, then closing
  tokens.forEach((tok, i) => {
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    const afterWord = APOSTROPHE.test(tok) && prev !== undefined && LETTER.test(prev);
    const elision = afterWord && next !== undefined && STARTS_WITH_LETTER.test(next) &&
      (CLITIC.has(next) || !keepsSpace(prev));
    const quote = tok === '"';
    const closingQuote = quote && quoteOpen;
    const glue = i === 0 || glueNext || CLOSING.test(tok) || afterWord || closingQuote;
    out += (glue ? "" : " ") + tok;
    glueNext = OPENING.test(tok) || elision || (quote && !quoteOpen);
    if (quote) quoteOpen = !quoteOpen;
  });
  return out;
}
