/**
 * chrF++, TER, CER/WER, BLEU's intl/none tokenizers and lowercasing, sentence BLEU, signatures:
 * hand-computed cases (the n-grams and edit operations are written out below), edge cases, and,
 * where a Python with sacreBLEU is found (SACREBLEU_PYTHON), a randomized comparison with sacreBLEU.
 */
import assert from "node:assert/strict";
import config from "../deno.json" with { type: "json" };
import { corpusBleu, corpusBleuMulti, sentenceBleu } from "../nmt/metrics/bleu.ts";
import { corpusChrf, corpusChrfPlusPlus } from "../nmt/metrics/chrf.ts";
import { chrfWords } from "../nmt/metrics/chrf_words.ts";
import { cerUnits, corpusCer, corpusWer, levenshtein } from "../nmt/metrics/error_rate.ts";
import { evaluate, formatResult } from "../nmt/metrics/evaluate.ts";
import { pyFixed } from "../nmt/metrics/pyformat.ts";
import {
  bleuSignature,
  chrfSignature,
  errorRateSignature,
  METRICS_VERSION,
  nrefsOf,
  terSignature,
} from "../nmt/metrics/signature.ts";
import { corpusTer, sentenceTer, type TerOptions, terWords } from "../nmt/metrics/ter.ts";
import { terEdits } from "../nmt/metrics/tercom.ts";
import { tokenizeIntl } from "../nmt/metrics/tokenize_intl.ts";
import { Prng } from "../nmt/data/prng.ts";

// ---- BLEU: tokenizers, lowercase, sentence BLEU -------------------------------------------------

Deno.test("tokenizeIntl: Unicode punctuation and symbols splitKey, numbers keep theirs, mteval-v14 quirks", () => {
  const cases: [string, string][] = [
    // «», —, … are Unicode punctuation (13a leaves them glued); € is a symbol and always splits.
    ["Il «gatto» costa 5€ — davvero…", "Il « gatto » costa 5 € — davvero …"],
    // No padding: a final period after a number stays (the original mteval-v14 does the same).
    ["nel 2020.", "nel 2020."],
    ["Ciao, mondo!", "Ciao , mondo !"],
    // Punctuation stays only between two numbers; "-5" after a space splits (the space is a non-number).
    ["3.14 e 1,000.50 e -5 e a-5", "3.14 e 1,000.50 e - 5 e a - 5"],
    // Apostrophes, straight or typographic, are punctuation here (in 13a they are not).
    ["“citato” l’ora l'uomo", "“ citato ” l ’ ora l ' uomo"],
    // No entity unescaping, unlike 13a.
    ["&amp; <b>", "& amp ; < b >"],
    // ² and ½ are numbers (No), not symbols; the skin-tone modifier is a symbol (Sk).
    ["x²+y² = ½ ©2020 😀👍🏽", "x² + y² = ½ © 2020 😀 👍 🏽"],
    ["¿Qué? ¡Sì!", "¿ Qué ? ¡ Sì !"],
    ["U.S.A. ...", "U . S . A . . . ."],
    ["e-mail well-known 1990-2000", "e - mail well - known 1990-2000"],
    ["", ""],
  ];
  for (const [input, expected] of cases) assert.equal(tokenizeIntl(input), expected, JSON.stringify(input));
});

Deno.test("bleu options: lowercase, tokenize none and intl", () => {
  // Mixed case: Il Gatto Nero Dorme . vs il gatto nero dorme . share only "." (1 of 5 unigrams).
  const hyp = ["Il Gatto Nero Dorme."], ref = [["il gatto nero dorme."]];
  assert.deepEqual(corpusBleuMulti(hyp, ref).counts, [1, 0, 0, 0]);
  const lc = corpusBleuMulti(hyp, ref, { lowercase: true });
  assert.deepEqual(lc.counts, [5, 4, 3, 2]);
  near(lc.score, 100, "lowercased");
  // "none" only splits on whitespace: "gatto." is one token and does not match "gatto" ".".
  assert.deepEqual(corpusBleu(["il gatto."], [["il gatto ."]], { tokenize: "none" }).counts, [1, 0, 0, 0]);
  assert.deepEqual(corpusBleu(["il gatto."], [["il gatto ."]]).counts, [3, 2, 1, 0]);
  // 13a keeps "«ciao»" one token, so only "amico" matches "« ciao » amico"; intl splits the guillemets.
  assert.deepEqual(corpusBleu(["«ciao» amico"], [["« ciao » amico"]]).counts, [1, 0, 0, 0]);
  assert.deepEqual(corpusBleu(["«ciao» amico"], [["« ciao » amico"]], { tokenize: "intl" }).counts, [4, 3, 2, 1]);
  // Lowercasing comes before tokenization and uses the full Unicode mapping: "ΟΔΟΣ" → "οδος" (final sigma).
  assert.equal(corpusBleu(["ΟΔΟΣ"], [["οδος"]], { lowercase: true }).counts[0], 1);
  // Untyped callers get a clear error instead of the default.
  assert.throws(
    () => corpusBleu(["a"], [["a"]], { tokenize: "spm" as "13a" }),
    /unknown tokenizer "spm" \(choose from 13a, intl, none\)/,
  );
});

Deno.test("bleu options: smoothing methods and maxNgramOrder, as sacreBLEU's BLEU(smooth_method=..., max_ngram_order=...)", () => {
  // il gatto è sotto tappeto rosso vs il gatto è sul tappeto rosso (same length, BP 1): matches
  // 5/6, 3/5, 1/4 and 0/3 4-grams; only the zero order depends on the smoothing. (The golden
  // sacreBLEU corpora have no zero order under floor or none, so these are checked here.)
  const hyp = ["il gatto è sotto tappeto rosso"], ref = [["il gatto è sul tappeto rosso"]];
  const geo = (p: number[]) => Math.exp(p.reduce((s, x) => s + Math.log(x), 0) / p.length);
  // floor: the zero match count becomes the value: 100 · 0.1 / 3 (sacreBLEU: 25.40663740773073).
  const floor = corpusBleu(hyp, ref, { smoothMethod: "floor", smoothValue: 0.1 });
  assert.deepEqual([floor.counts, floor.totals], [[5, 3, 1, 0], [6, 5, 4, 3]]);
  near(floor.precisions[3], 10 / 3, "floor p4");
  near(floor.score, geo([500 / 6, 60, 25, 10 / 3]), "floor");
  near(corpusBleu(hyp, ref, { smoothMethod: "floor" }).score, floor.score, "floor's default value 0.1");
  near(corpusBleu(hyp, ref, { smoothMethod: "floor", smoothValue: 0.5 }).score, geo([500 / 6, 60, 25, 50 / 3]), "0.5");
  // none: a zero precision is log 0, sacreBLEU's floor of -9999999999, so the score is 0.
  const none = corpusBleu(hyp, ref, { smoothMethod: "none" });
  assert.deepEqual([none.score, none.precisions[3]], [0, 0]);
  // add-k: k joins matches and totals from order 2 on, and the reported statistics include it.
  const addK = corpusBleu(hyp, ref, { smoothMethod: "add-k" });
  assert.deepEqual([addK.counts, addK.totals], [[5, 4, 2, 1], [6, 6, 5, 4]]);
  near(addK.score, geo([500 / 6, 400 / 6, 40, 25]), "add-k"); // sacreBLEU: 48.54917717073236
  // maxNgramOrder 2: two orders, the geometric mean of 500/6 and 60.
  const two = corpusBleu(hyp, ref, { maxNgramOrder: 2 });
  assert.deepEqual([two.counts, two.totals, two.precisions.length], [[5, 3], [6, 5], 2]);
  near(two.score, Math.sqrt(500 / 6 * 60), "order 2");
  // sentence BLEU takes the same options.
  near(sentenceBleu(hyp[0], ref[0], { smoothMethod: "floor" }).score, floor.score, "sentence floor");
  assert.throws(
    () => corpusBleu(hyp, ref, { smoothMethod: "add-one" as "exp" }),
    /corpusBleu: unknown smoothMethod "add-one" \(choose from none, floor, add-k, exp\)/,
  );
  assert.throws(
    () => corpusBleu(hyp, ref, { maxNgramOrder: 0 }),
    /corpusBleu: maxNgramOrder must be a positive integer/,
  );
  assert.throws(() => sentenceBleu("a", ["a"], { smoothValue: NaN }), /sentenceBleu: smoothValue must be a finite/);
});

Deno.test("sentenceBleu: effective order, exp smoothing, brevity penalty", () => {
  // il gatto nero (3 tokens) vs il gatto nero dorme (4): 3/3, 2/2, 1/1 and no 4-gram at all. With
  // effective order the mean runs over orders 1..3 only: 100, times BP = exp(1 − 4/3). Corpus BLEU
  // (no effective order) would be 0.
  const s = sentenceBleu("il gatto nero", ["il gatto nero dorme"]);
  assert.deepEqual([s.counts, s.totals, s.sysLen, s.refLen], [[3, 2, 1, 0], [3, 2, 1, 0], 3, 4]);
  near(s.score, 100 * Math.exp(1 - 4 / 3), "3 tokens"); // 71.65, as sacreBLEU's sentence_bleu
  assert.equal(corpusBleu(["il gatto nero"], [["il gatto nero dorme"]]).score, 0);
  near(sentenceBleu("il gatto", ["il gatto nero dorme"]).score, 100 * Math.exp(1 - 4 / 2), "2 tokens");
  // il cane nero dorme vs il gatto nero dorme: 3/4 unigrams, 1/3 bigrams (nero·dorme), trigrams
  // 0/2 → 100/(2·2), 4-grams 0/1 → 100/(4·1). All 4 orders exist, so this is also the corpus score.
  const m = sentenceBleu("il cane nero dorme", ["il gatto nero dorme"]);
  const p = [75, 100 / 3, 25, 25];
  m.precisions.forEach((x, n) => near(x, p[n], `p${n + 1}`));
  near(m.score, Math.pow(p[0] * p[1] * p[2] * p[3], 1 / 4), "smoothed");
  assert.deepEqual(m, corpusBleu(["il cane nero dorme"], [["il gatto nero dorme"]]));
  // Options, several references (closest length), empty hypothesis.
  near(sentenceBleu("Il Gatto", ["il gatto"], { lowercase: true }).score, 100, "lowercase");
  assert.equal(sentenceBleu("il gatto", ["il gatto nero dorme", "il gatto"]).refLen, 2);
  assert.equal(sentenceBleu("", ["il gatto"]).score, 0);
  assert.throws(() => sentenceBleu("a", []), /sentenceBleu: sentence 0 has no reference/);
});

// ---- chrF++ ---------------------------------------------------------------------------------------

Deno.test("chrfWords: chrF++.py's punctuation splitKey, one character per word, ASCII only", () => {
  assert.deepEqual(
    chrfWords('Ciao, (sì) «no» ciao!! . !? l\'uomo "citato" 😀! a'),
    ["Ciao", ",", "(sì", ")", "«no»", "ciao!", "!", ".", "!", "?", "l'uomo", '"citato', '"', "😀", "!", "a"],
  );
  // A hyphenated word ending in a digit keeps its hyphen; "-5" loses its leading "-".
  assert.deepEqual(chrfWords("well-known -5 5- —"), ["well-known", "-", "5", "5", "-", "—"]);
  assert.deepEqual(chrfWords(" \u00a0 "), []);
});

Deno.test("chrF++: character orders 1..6 plus word unigrams and bigrams, all averaged", () => {
  // "il gatto." vs "il gatto nero.", characters without spaces: "ilgatto." (8) vs "ilgattonero." (12).
  //   n=1: 8 hyp, 12 ref, 8 match      n=2: il lg ga at tt to o. → 7/11/7 ("o." ends the ref too)
  //   n=3: 6/10/5 ("to." ≠ "ro.")      n=4: 5/9/4     n=5: 4/8/3     n=6: 3/7/2
  // Words: il gatto . vs il gatto nero . → unigrams 3/4/3; bigrams "il gatto", "gatto ." vs
  // "il gatto", "gatto nero", "nero ." → 2/3/1.
  const r = corpusChrfPlusPlus(["il gatto."], [["il gatto nero."]]);
  assert.deepEqual(r.orders.map((o) => [o.hyp, o.ref, o.match]), [
    [8, 12, 8],
    [7, 11, 7],
    [6, 10, 5],
    [5, 9, 4],
    [4, 8, 3],
    [3, 7, 2],
    [3, 4, 3],
    [2, 3, 1],
  ]);
  const P = (1 + 1 + 5 / 6 + 4 / 5 + 3 / 4 + 2 / 3 + 1 + 1 / 2) / 8;
  const R = (8 / 12 + 7 / 11 + 5 / 10 + 4 / 9 + 3 / 8 + 2 / 7 + 3 / 4 + 1 / 3) / 8;
  near(r.score, 100 * 5 * P * R / (4 * P + R), "chrF++"); // 54.12, as sacreBLEU
  // Plain chrF on the same pair uses the first 6 orders only.
  assert.deepEqual(corpusChrf(["il gatto."], [["il gatto nero."]]).orders, r.orders.slice(0, 6));
  // One-word sentences have no bigram on either side: the order drops out, as a short order does in chrF.
  assert.deepEqual(corpusChrfPlusPlus(["gatto"], [["gatto"]]).orders[7], { hyp: 0, ref: 0, match: 0 });
  near(corpusChrfPlusPlus(["gatto"], [["gatto"]]).score, 100, "perfect");
  near(corpusChrfPlusPlus(["Gatto"], [["gatto"]], { lowercase: true }).score, 100, "lowercase");
  assert.equal(corpusChrfPlusPlus([""], [["gatto"]]).score, 0);
  assert.throws(() => corpusChrf(["a"], [["a"]], { wordOrder: -1 }), /wordOrder must be a non-negative integer/);
});

// ---- TER ------------------------------------------------------------------------------------------

Deno.test("chrF options: whitespace kept, beta, charOrder (as sacreBLEU's CHRF(whitespace=..., beta=..., char_order=...))", () => {
  // "ab" vs "a b": the same once whitespace is removed (100). Kept, the reference has a, " ", b; "a ",
  // " b"; "a b". Order 1: precision 2/2, recall 2/3; order 2: "ab" matches nothing (0, 0); order 3:
  // no hypothesis trigram, and orders 4..6 no reference n-gram, so they drop out. Averages over the
  // 2 orders: precision 1/2, recall 1/3.
  const [p, r] = [1 / 2, 1 / 3];
  const f = (beta: number, p: number, r: number) => 100 * (1 + beta ** 2) * p * r / (beta ** 2 * p + r);
  near(corpusChrf(["ab"], [["a b"]]).score, 100, "whitespace removed");
  near(corpusChrf(["ab"], [["a b"]], { whitespace: true }).score, f(2, p, r), "kept"); // 35.714...
  near(corpusChrf(["ab"], [["a b"]], { whitespace: true, beta: 1 }).score, f(1, p, r), "beta 1"); // 40
  near(corpusChrf(["ab"], [["a b"]], { whitespace: true, charOrder: 1 }).score, f(2, 1, 2 / 3), "order 1");
  assert.equal(corpusChrf(["ab"], [["a b"]], { charOrder: 3 }).orders.length, 3);
  assert.throws(() => corpusChrf(["a"], [["a"]], { charOrder: 0 }), /corpusChrf: charOrder must be a positive integer/);
  assert.throws(() => corpusChrf(["a"], [["a"]], { beta: 0 }), /corpusChrf: beta must be a finite number > 0, got 0/);
});

Deno.test("TER: shifts, case-insensitivity, several references, empty lines", () => {
  const ter = (hyp: string, refs: string[]) => sentenceTer(hyp, refs);
  // the cat sat | on the mat → on the mat | the cat sat: ONE shift of the block "on the mat" to the
  // front, then nothing to edit. Without shifts it would take 6 edits. 1 / 6 words.
  assert.deepEqual(ter("the cat sat on the mat", ["on the mat the cat sat"]), {
    score: 100 * (1 / 6), // sacreBLEU multiplies the rate, so this, not 100 / 6, is the exact float
    numEdits: 1,
    refLength: 6,
  });
  // a b c d e f g h → e f g h a b c d: one shift of "e f g h" (4 words) before "a". 1 / 8.
  assert.equal(ter("a b c d e f g h", ["e f g h a b c d"]).numEdits, 1);
  // "il cane mangia la carne rossa oggi" → "oggi il cane rosso mangia la carne":
  //   shift "oggi" to the front (1); insert "rosso" after "cane" (1); delete "rossa" (1) = 3 of 7.
  assert.equal(ter("il cane mangia la carne rossa oggi", ["oggi il cane rosso mangia la carne"]).numEdits, 3);
  // a b → b a: a shift (1) beats two substitutions (2).
  assert.equal(ter("a b", ["b a"]).numEdits, 1);
  // b x a → a x b: no shift lowers the distance (moving "a" first gives "a b x": still 2), so 2 substitutions.
  assert.equal(ter("b x a", ["a x b"]).numEdits, 2);
  // Case-insensitive (TER's default): "Il" = "il"; delete "nero": 1 of 3.
  near(ter("Il gatto nero dorme", ["il gatto dorme"]).score, 100 / 3, "lowercase");
  // Several references: the fewest edits (2 insertions against "a b c d e", 3 against "x"), divided by
  // the MEAN reference length (5 + 1) / 2 = 3, not by the chosen reference's 5.
  assert.deepEqual(ter("a b c", ["a b c d e", "x"]), { score: 100 * (2 / 3), numEdits: 2, refLength: 3 });
  // Empty reference: one edit per hypothesis word, rate 100; both empty: 0; empty hypothesis: deletions.
  assert.deepEqual(ter("a b", [""]), { score: 100, numEdits: 2, refLength: 0 });
  assert.deepEqual(ter("", [""]), { score: 0, numEdits: 0, refLength: 0 });
  assert.deepEqual(ter("", ["a b c"]), { score: 100, numEdits: 3, refLength: 3 });
  // Words are whitespace-separated, punctuation included ("dorme." ≠ "dorme"), and rstrip comes first.
  assert.deepEqual(terWords("Il gatto DORME. \n"), ["il", "gatto", "dorme."]);
  assert.equal(terEdits(["dorme."], ["dorme"]).edits, 1);
});

Deno.test("TER options: Tercom's normalization, punctuation removal, case sensitivity (as sacreBLEU's TercomTokenizer)", () => {
  const line = `L'Uomo's cat, 3.5-4 &amp; (sì)!  "ok"?`;
  const words = (options: TerOptions, s = line) => terWords(s, options).join(" ");
  // normalized: entities unescaped, ASCII punctuation split as in 13a (not "'", not "." or "," between
  // digits, "-" only after a digit), "'s" split off.
  assert.equal(words({ normalized: true }), `l'uomo 's cat , 3.5 - 4 & ( sì ) ! " ok " ?`);
  assert.equal(words({ normalized: true }, "it's"), "it 's");
  // Tercom joins "\n-" (not 13a's "-\n") and turns other newlines into spaces.
  assert.equal(words({ normalized: true }, "riga-\n-a capo\nfine. U.S.A."), "riga-a capo fine . u . s . a .");
  // noPunct removes only . , ? : ; ! " ( ) — anywhere, inside numbers too.
  assert.equal(words({ noPunct: true }), "l'uomo's cat 35-4 &amp sì ok");
  assert.equal(words({ normalized: true, noPunct: true }), "l'uomo 's cat 35 - 4 & sì ok");
  assert.equal(words({ caseSensitive: true }), `L'Uomo's cat, 3.5-4 &amp; (sì)! "ok"?`);
  // The options reach the score (numbers checked with sacreBLEU 2.6.0): "Il Gatto." vs "il gatto ."
  // lowercased is 2 edits ("gatto." for "gatto", "." inserted); normalized splits the period off: 0;
  // case-sensitive adds "Il" for "il" and keeps the other two: 3.
  assert.equal(sentenceTer("Il Gatto.", ["il gatto ."]).numEdits, 2);
  assert.equal(sentenceTer("Il Gatto.", ["il gatto ."], { normalized: true }).numEdits, 0);
  assert.equal(corpusTer(["Il Gatto."], [["il gatto ."]], { caseSensitive: true }).numEdits, 3);
  assert.equal(corpusTer(["il gatto."], [["il gatto"]], { noPunct: true }).score, 0);
});

Deno.test("TER: corpus score is total edits over total mean reference length", () => {
  // Sentence 1: 1 edit, 6 words; sentence 2: 2 edits, mean length 3 → 3 / 9.
  const r = corpusTer(["the cat sat on the mat", "a b c"], [["on the mat the cat sat"], ["a b c d e", "x"]]);
  assert.deepEqual(r, { score: 100 * (3 / 9), numEdits: 3, refLength: 9 });
  assert.throws(() => corpusTer(["a"], [[]]), /corpusTer: sentence 0 has no reference/);
});

// ---- CER and WER ----------------------------------------------------------------------------------

Deno.test("CER and WER: Levenshtein over characters and words, corpus sums, several references", () => {
  assert.equal(levenshtein(Array.from("kitten"), Array.from("sitting")), 3); // k→s, e→i, +g
  assert.equal(levenshtein([], ["a", "b"]), 2);
  // Words: il gatto nero dorme → il gatto dorme sul divano: delete "nero", insert "sul", "divano" = 3 of 5.
  assert.deepEqual(corpusWer(["il gatto nero dorme"], [["il gatto dorme sul divano"]]), {
    score: 60,
    edits: 3,
    refLen: 5,
  });
  // No tokenization: "dorme." vs "dorme" is a substitution.
  assert.equal(corpusWer(["il gatto dorme."], [["il gatto dorme"]]).edits, 1);
  // Characters: whitespace runs collapse to one space, ends are stripped: "gatto nero" vs "gatti neri",
  // o→i twice = 2 of 10 characters.
  assert.deepEqual(cerUnits("  gatto \t nero \n"), Array.from("gatto nero"));
  assert.deepEqual(corpusCer(["  gatto   nero"], [["gatti neri"]]), { score: 20, edits: 2, refLen: 10 });
  // Spaces count: a joined word is one missing character (1 of 8).
  assert.equal(corpusCer(["ilgatto"], [["il gatto"]]).score, 12.5);
  // Code points: an emoji is one character; no normalization: "è" vs "e" + U+0300 is a substitution and an insertion.
  assert.equal(corpusCer(["😀"], [["😃"]]).edits, 1);
  assert.equal(corpusCer(["è"], [["e\u0300"]]).edits, 2);
  // Several references: per sentence the one with the fewest edits, with ITS length. Sentence 1:
  // "a b c" vs "a b c d e f" (3 edits, 6 words) or "a x c" (1 edit, 3 words) → 1 of 3; sentence 2:
  // "x" vs "y z" → substitution + insertion, 2 of 2. Corpus: (1 + 2) / (3 + 2).
  assert.deepEqual(corpusWer(["a b c", "x"], [["a b c d e f", "a x c"], ["y z"]]), { score: 60, edits: 3, refLen: 5 });
  assert.equal(corpusWer(["Il Gatto"], [["il gatto"]], { lowercase: true }).score, 0);
  // Empty references only: 100 with any edit, 0 without (TER's convention); empty hypothesis: all deletions.
  assert.equal(corpusWer(["a"], [[""]]).score, 100);
  assert.equal(corpusWer([""], [[""]]).score, 0);
  assert.equal(corpusCer([""], [["abc"]]).score, 100);
  assert.throws(() => corpusCer([], []), /corpusCer: no hypotheses/);
});

// ---- Signatures and output ----------------------------------------------------------------------

Deno.test("signatures: sacreBLEU's keys and order, our version", () => {
  assert.equal(METRICS_VERSION, `deno-torch-${config.version}`);
  const v = `version:${METRICS_VERSION}`;
  assert.equal(bleuSignature(1), `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|${v}`);
  assert.equal(
    bleuSignature(2, { tokenize: "intl", lowercase: true, effectiveOrder: true }),
    `nrefs:2|case:lc|eff:yes|tok:intl|smooth:exp|${v}`,
  );
  assert.equal(chrfSignature(1), `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|${v}`);
  assert.equal(chrfSignature("var", { wordOrder: 2 }), `nrefs:var|case:mixed|eff:yes|nc:6|nw:2|space:no|${v}`);
  assert.equal(terSignature(1), `nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|${v}`);
  // The options' own fields, with sacreBLEU's spelling ("floor[0.10]", "space:yes", "punct:no").
  assert.equal(
    bleuSignature(1, { smoothMethod: "floor" }),
    `nrefs:1|case:mixed|eff:no|tok:13a|smooth:floor[0.10]|${v}`,
  );
  assert.equal(bleuSignature(1, { smoothMethod: "add-k", smoothValue: 2 }).split("|")[4], "smooth:add-k[2.00]");
  assert.equal(bleuSignature(1, { smoothMethod: "none", smoothValue: 3 }).split("|")[4], "smooth:none");
  assert.equal(
    chrfSignature(1, { charOrder: 4, whitespace: true }),
    `nrefs:1|case:mixed|eff:yes|nc:4|nw:0|space:yes|${v}`,
  );
  assert.equal(
    terSignature(3, { caseSensitive: true, normalized: true, noPunct: true }),
    `nrefs:3|case:mixed|tok:tercom|norm:yes|punct:no|asian:no|${v}`,
  );
  assert.equal(errorRateSignature("words", 1, { lowercase: true }), `nrefs:1|case:lc|tok:words|${v}`);
  assert.equal(nrefsOf([["a"], ["b"]]), 1);
  assert.equal(nrefsOf([["a"], ["b", "c"]]), "var");
});

Deno.test("pyFixed: Python's rounding of exact ties, JS's otherwise", () => {
  // 6.25 and 0.125 are exact binary ties: Python rounds them to even, toFixed up.
  assert.deepEqual([6.25, 0.125, 2.5, 3.5, -6.25].map((x) => pyFixed(x, 1)), ["6.2", "0.1", "2.5", "3.5", "-6.2"]);
  assert.deepEqual([0.5, 1.5, 2.5].map((x) => pyFixed(x, 0)), ["0", "2", "2"]);
  // 6.35 and 0.05 are not ties in binary (6.3499…, 0.05000…28): both round the same way.
  assert.deepEqual([6.35, 0.05, 100.00000000000004, 12.125].map((x) => pyFixed(x, 2)), [
    "6.35",
    "0.05",
    "100.00",
    "12.12",
  ]);
});

Deno.test("evaluate: every metric with its name, signature and statistics", () => {
  const results = evaluate(["the cat sat on the mat"], [["on the mat the cat sat"]]);
  assert.deepEqual(results.map((r) => r.name), ["BLEU", "chrF2", "chrF2++", "TER", "CER", "WER"]);
  const ter = results.find((r) => r.metric === "ter")!;
  assert.equal(
    formatResult(ter),
    `TER|nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|version:${METRICS_VERSION} = 16.67 (edits = 1 ref_len = 6.0)`,
  );
  const bleu = evaluate(["il cane nero dorme"], [["il gatto nero dorme"]], { metrics: ["bleu"] });
  assert.equal(bleu.length, 1);
  assert.deepEqual(Object.keys(bleu[0].details), ["counts", "totals", "precisions", "bp", "sys_len", "ref_len"]);
  // precisions 75/33.3/25/25 → "75.0/33.3/25.0/25.0"; the score is their geometric mean, (75·100/3·25·25)^¼ = √1250.
  assert.match(
    formatResult(bleu[0]),
    / = 35\.36 75\.0\/33\.3\/25\.0\/25\.0 \(BP = 1\.000 ratio = 1\.000 hyp_len = 4 ref_len = 4\)$/,
  );
});

Deno.test("edge cases: empty and whitespace-only lines in every metric", () => {
  // Sentence 1 is empty on both sides (whitespace only), sentence 2 a one-token match.
  const hyps = [" \t", "a"], refs = [[""], ["a"]];
  const byName = Object.fromEntries(evaluate(hyps, refs).map((r) => [r.metric, r]));
  // BLEU: 1 token, no bigram at all → precision 0 from order 2 on, so corpus BLEU is 0 (no effective order)...
  assert.deepEqual(byName.bleu.details.totals, [1, 0, 0, 0]);
  assert.ok(byName.bleu.score < 1e-30);
  // ... while sentence BLEU of the second sentence is 100 (effective order 1).
  near(sentenceBleu("a", ["a"]).score, 100, "sentence");
  // The empty pair adds nothing to chrF, chrF++, TER, CER, WER: the second sentence is a perfect match.
  near(byName.chrf.score, 100, "chrF");
  near(byName["chrf++"].score, 100, "chrF++");
  for (const m of ["ter", "cer", "wer"]) assert.equal(byName[m].score, 0, m);
  assert.deepEqual(byName.ter.details, { num_edits: 0, ref_length: 1 });
});

// ---- Live comparison with sacreBLEU -------------------------------------------------------------

const PYTHON = SACREBLEU_PYTHON;

// For each case: corpus BLEU with its tokenizer and case setting, sentence_bleu of every sentence,
// chrF++ (same case setting), corpus TER and each sentence's TER edits, intl tokens, and signatures.
const SCRIPT = `
import json, sys
import sacrebleu
from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.tokenizers.tokenizer_intl import TokenizerV14International
intl = TokenizerV14International()
def bleu_json(b):
    return {"score": b.score, "counts": b.counts, "totals": b.totals, "precisions": b.precisions,
            "bp": b.bp, "sysLen": b.sys_len, "refLen": b.ref_len}
out = []
for case in json.load(sys.stdin):
    hyps, refs, tok, lc = case["hyps"], case["refs"], case["tokenize"], case["lowercase"]
    k = max(len(r) for r in refs)
    streams = [[r[j] if j < len(r) else None for r in refs] for j in range(k)]
    bleu = BLEU(tokenize=tok, lowercase=lc)
    b = bleu.corpus_score(hyps, streams)
    chrf = CHRF(word_order=2, lowercase=lc)
    c = chrf.corpus_score(hyps, streams)
    cstats = [sum(col) for col in zip(*chrf._extract_corpus_statistics(hyps, streams))]
    ter = TER()
    # corpus_score, keeping the per-sentence [edits, mean ref length] (TER is slow in Python: run it once)
    ter_stats = ter._extract_corpus_statistics(hyps, streams)
    t = ter._aggregate_and_compute(ter_stats)
    sentences = []
    for h, r in zip(hyps, refs):
        s = sacrebleu.sentence_bleu(h, r, tokenize=tok, lowercase=lc)
        m = BLEU(tokenize=tok, lowercase=lc, effective_order=True)
        m.sentence_score(h, r)
        sentences.append(dict(bleu_json(s), signature=str(m.get_signature())))
    out.append({
        "bleu": bleu_json(b), "bleuSig": str(bleu.get_signature()),
        "sentences": sentences,
        "chrf": c.score, "chrfStats": cstats, "chrfSig": str(chrf.get_signature()),
        "ter": {"score": t.score, "numEdits": t.num_edits, "refLength": t.ref_length},
        "terSig": str(ter.get_signature()),
        "terEdits": [s[0] for s in ter_stats],
        "intl": [intl(s) for s in hyps + [x for r in refs for x in r]],
    })
json.dump(out, sys.stdout)
`;
import { SACREBLEU, SACREBLEU_PYTHON } from "./helpers/sacrebleu.ts";
import { near } from "./helpers/near.ts";

const WORDS = [
  "il",
  "la",
  "gatto",
  "Gatto",
  "GATTO",
  "cane",
  "è",
  "È",
  "sul",
  "tappeto",
  "perché",
  "città",
  "l'uomo",
  "dell'acqua",
  "l’ora",
  "c'è",
  "well-known",
  "e-mail",
  "3.14",
  "1,000",
  "1.000,50",
  "2020.",
  "1990-2000",
  "-5",
  "12,5%",
  "5€",
  "€5",
  "&amp;",
  "&lt;b&gt;",
  "<skipped>",
  "😀",
  "👍🏽",
  "(sì)",
  "[no]",
  "U.S.A.",
  "x/y",
  "e\u0300",
  "Ciao,",
  "bene!",
  "vero?",
  "sì;",
  "no:",
  "«virgolette»",
  "“citato”",
  "‘così’",
  "—",
  "x—y",
  "davvero…",
  "...",
  "!!",
  "?!",
  "¿Qué?",
  "¡Sì!",
  "©2020",
  "x²+y²",
  "½",
  "Ⅻ",
  "ΟΔΟΣ",
  "ΣΟΦΙΑ.",
  "İstanbul",
  "STRASSE",
  "Straße",
  "ǅ",
  "naïve",
  "#tag",
  "@user",
  "a&b",
  "k-means",
];
const GLUE = [" ", " ", " ", " ", "  ", "\t", "\u00a0", "\u2009", "\x1c", "\x85", "\u3000", "\ufeff", "-\n", "\n"];
const ENDS = ["", "", ".", "!", "?", " .", "\n", " ", "-\n", "...", "»", "…"];
const TOKENIZERS = ["13a", "intl", "none"] as const;

function sentence(rng: Prng, words: string[]): string {
  let s = "";
  words.forEach((w, i) => s += (i > 0 ? rng.pick(GLUE) : "") + w);
  return s + rng.pick(ENDS);
}

/** A reference: the hypothesis's words with some dropped, replaced, inserted, and a block moved (TER's shifts). */
function perturb(rng: Prng, words: string[], vocab: readonly string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    const roll = rng.next();
    if (roll < 0.12) continue;
    out.push(roll < 0.25 ? rng.pick(vocab) : w);
    if (rng.next() < 0.08) out.push(rng.pick(vocab));
  }
  if (out.length > 2 && rng.next() < 0.6) {
    const start = rng.int(out.length), len = 1 + rng.int(Math.min(12, out.length - start));
    const block = out.splice(start, len);
    out.splice(rng.int(out.length + 1), 0, ...block);
  }
  return out;
}

interface Case {
  hyps: string[];
  refs: string[][];
  tokenize: (typeof TOKENIZERS)[number];
  lowercase: boolean;
}

function corpus(rng: Prng, size: number, opts: { maxWords?: number; vocab?: readonly string[] } = {}): Case {
  const vocab = opts.vocab ?? WORDS, maxWords = opts.maxWords ?? 14;
  const hyps: string[] = [], refs: string[][] = [];
  for (let i = 0; i < size; i++) {
    const words = Array.from({ length: rng.int(maxWords) }, () => rng.pick(vocab));
    hyps.push(sentence(rng, words));
    refs.push(Array.from({ length: 1 + rng.int(3) }, () => sentence(rng, perturb(rng, words, vocab))));
  }
  return { hyps, refs, tokenize: rng.pick(TOKENIZERS), lowercase: rng.next() < 0.5 };
}

/**
 * TER's corner cases: blocks moved far (starts > 50 words apart are not tried), very unequal lengths
 * (a wider beam), unrelated sentences over 3 words, whose many equal blocks and many errors reach
 * the limit of 1000 shift candidates (checked in sacreBLEU: 40 words each hit it), and a shared block
 * displaced by more than the beam (its best alignment lies outside it: a beam of 26 instead of 25
 * changes these counts in sacreBLEU).
 */
function terStress(rng: Prng): Case[] {
  const few = ["a", "b", "c"];
  const long = (n: number, vocab: readonly string[]) => Array.from({ length: n }, () => rng.pick(vocab));
  const cases: Case[] = [];
  for (let k = 0; k < 2; k++) {
    // Two halves swap places: every block would move more than 50 words, too far for a shift.
    const words = long(125 + rng.int(10), WORDS), cut = 55 + rng.int(20);
    const moved = [...words.slice(cut), ...words.slice(0, cut)];
    const repeated = long(30 + rng.int(20), few);
    const pairs: [string[], string[]][] = [
      [words, moved],
      [long(2, WORDS), long(120, WORDS)],
      [long(130, WORDS), long(2, WORDS)],
      [repeated, perturb(rng, repeated, few)],
      [long(40 + rng.int(10), few), long(40 + rng.int(10), few)],
    ];
    const a = 26 + rng.int(15), b = 20 + rng.int(40), c = rng.int(40);
    const shared = Array.from({ length: b }, (_, i) => `w${i}`);
    const before = [...Array.from({ length: a }, (_, i) => `x${i}`), ...shared];
    const after = [...shared, ...Array.from({ length: c }, (_, i) => `y${i}`)];
    pairs.push([before, after], [after, before]);
    cases.push({
      hyps: pairs.map(([h]) => h.join(" ")),
      refs: pairs.map(([, r]) => [r.join(" ")]),
      tokenize: "13a",
      lowercase: false,
    });
  }
  return cases;
}

Deno.test({
  name: `metrics: chrF++, TER, intl/none/lowercase BLEU and sentence BLEU as sacreBLEU ${SACREBLEU ?? "(not found)"}`,
  ignore: SACREBLEU === undefined,
  async fn() {
    const rng = new Prng(29);
    const cases = [
      corpus(rng, 150),
      ...Array.from({ length: 60 }, () => corpus(rng, 1 + rng.int(4))),
      ...Array.from({ length: 6 }, () => corpus(rng, 5, { maxWords: 40 })),
      ...terStress(rng),
    ];
    const child = new Deno.Command(PYTHON, { args: ["-c", SCRIPT], stdin: "piped", stdout: "piped", stderr: "piped" })
      .spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(cases)));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const expected = JSON.parse(new TextDecoder().decode(stdout));
    // sacreBLEU's version is the only part of a signature allowed to differ.
    const sig = (s: string) => s.replace(/\|version:.*$/, "");
    cases.forEach(({ hyps, refs, tokenize, lowercase }, c) => {
      const want = expected[c], what = `case ${c} (tok ${tokenize}, lc ${lowercase})`;
      [...hyps, ...refs.flat()].forEach((line, i) =>
        assert.equal(tokenizeIntl(line), want.intl[i], JSON.stringify(line))
      );
      const nrefs = nrefsOf(refs);

      const bleu = corpusBleuMulti(hyps, refs, { tokenize, lowercase });
      assert.deepEqual(
        [bleu.counts, bleu.totals, bleu.sysLen, bleu.refLen],
        [want.bleu.counts, want.bleu.totals, want.bleu.sysLen, want.bleu.refLen],
        `${what} BLEU stats`,
      );
      near(bleu.score, want.bleu.score, `${what} BLEU`);
      bleu.precisions.forEach((p, n) => near(p, want.bleu.precisions[n], `${what} p${n + 1}`));
      assert.equal(sig(bleuSignature(nrefs, { tokenize, lowercase })), sig(want.bleuSig));

      hyps.forEach((hyp, i) => {
        const s = sentenceBleu(hyp, refs[i], { tokenize, lowercase }), w = want.sentences[i];
        assert.deepEqual([s.counts, s.totals, s.sysLen, s.refLen], [w.counts, w.totals, w.sysLen, w.refLen]);
        near(s.score, w.score, `${what} sentence ${i} BLEU`);
        near(s.bp, w.bp, `${what} sentence ${i} BP`);
        s.precisions.forEach((p, n) => near(p, w.precisions[n], `${what} sentence ${i} p${n + 1}`));
        const mine = bleuSignature(refs[i].length, { tokenize, lowercase, effectiveOrder: true });
        assert.equal(sig(mine), sig(w.signature));
      });

      const chrf = corpusChrfPlusPlus(hyps, refs, { lowercase });
      assert.deepEqual(chrf.orders.flatMap((o) => [o.hyp, o.ref, o.match]), want.chrfStats, `${what} chrF++ stats`);
      near(chrf.score, want.chrf, `${what} chrF++`);
      assert.equal(sig(chrfSignature(nrefs, { wordOrder: 2, lowercase })), sig(want.chrfSig));

      assert.deepEqual(hyps.map((h, i) => sentenceTer(h, refs[i]).numEdits), want.terEdits, `${what} TER edits`);
      const ter = corpusTer(hyps, refs);
      assert.equal(ter.numEdits, want.ter.numEdits, `${what} TER edits`);
      near(ter.refLength, want.ter.refLength, `${what} TER length`);
      near(ter.score, want.ter.score, `${what} TER`);
      assert.equal(sig(terSignature(nrefs)), sig(want.terSig));
    });
    const big = cases[0];
    console.log(
      `sacreBLEU ${SACREBLEU}: chrF++ ${corpusChrfPlusPlus(big.hyps, big.refs, big).score.toFixed(2)} = ` +
        `${expected[0].chrf.toFixed(2)}, TER ${corpusTer(big.hyps, big.refs).score.toFixed(2)} = ` +
        `${expected[0].ter.score.toFixed(2)}`,
    );
  },
});
