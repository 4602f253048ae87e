/** Detokenization of word-level output into text for reading and scoring. */
import assert from "node:assert/strict";
import { detokenize } from "../nmt/tokenize/detokenize.ts";

Deno.test("detokenize: punctuation, elision, contractions, brackets and quotes", () => {
  const cases: [string[], string][] = [
    [["Dov", "'", "è", "il", "gatto", "?"], "Dov'è il gatto?"],
    [["L", "'", "uomo", "dell", "'", "acqua", ",", "sì", "!"], "L'uomo dell'acqua, sì!"],
    [["I", "don", "'", "t", "know", "."], "I don't know."],
    [["(", "ciao", ")", "e", "[", "x", "]"], "(ciao) e [x]"],
    [["Tom", "disse", ":", '"', "no", '"', "."], 'Tom disse: "no".'],
    [["Aspetta", "...", "sì", "."], "Aspetta... sì."],
    [["Ho", "un", "po", "'", "di", "fame", "."], "Ho un po' di fame."],
    [["Aspetta", "un", "po", "'", "."], "Aspetta un po'."],
    [["Di", "'", "la", "verità", "!"], "Di' la verità!"],
    [["Va", "'", "via", "."], "Va' via."],
    [["The", "parents", "'", "house"], "The parents' house"],
    [["L", "'", "ha", "detto", "Jess", "'", "s", "nuovo"], "L'ha detto Jess's nuovo"],
    [[], ""],
  ];
  for (const [tokens, text] of cases) assert.equal(detokenize(tokens), text);
});
