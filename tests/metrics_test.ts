/**
 * Corpus BLEU and chrF against hand-computed expectations (n-gram counts written out below), and,
 * where a Python with sacreBLEU is found, against sacreBLEU itself on generated corpora.
 */
import assert from "node:assert/strict";
import { corpusBleu, corpusBleuMulti } from "../nmt/metrics/bleu.ts";
import { corpusChrf } from "../nmt/metrics/chrf.ts";
import { tokenize13a } from "../nmt/metrics/tokenize13a.ts";
import { Prng } from "../nmt/data/prng.ts";

Deno.test("tokenize13a: punctuation, numbers, entities, hyphens, skipped, Italian text", () => {
  const cases: [string, string][] = [
    ["Hello, world!", "Hello , world !"],
    // "." and "," stay inside numbers (digit on both sides) and split everywhere else.
    ["It costs 1,000.50 dollars.", "It costs 1,000.50 dollars ."],
    ["Il numero è 3.14, non 3,15!", "Il numero è 3.14 , non 3,15 !"],
    // The final period splits thanks to the space sacreBLEU pads the line with.
    ["nel 2020.", "nel 2020 ."],
    // A digit on one side only is not enough: ".5", "5.", "a.3", "3.a" all split.
    [".5 e 5. e a.3 e 3.a e a,b", ". 5 e 5 . e a . 3 e 3 . a e a , b"],
    ["U.S.A. ...", "U . S . A . . . ."],
    // Entities are unescaped in order, so "&amp;lt;" ends up as "<".
    ["&quot;Ciao&quot; &amp; &lt;b&gt; &amp;lt;", '" Ciao " & < b > <'],
    // A dash splits only after a digit.
    ["well-known e-mail 1990-2000 -5 a-1", "well-known e-mail 1990 - 2000 -5 a-1"],
    // "<skipped>" goes, "-\n" joins a hyphenated line break, other newlines become spaces.
    ["infor-\nmazione <skipped>fine\nqui", "informazione fine qui"],
    // Apostrophes (ASCII and typographic) do not splitKey, accents are ordinary letters.
    ["l'uomo beve dell'acqua. È l’ora?", "l'uomo beve dell'acqua . È l’ora ?"],
    ["perché è così (sì) [no] {forse}", "perché è così ( sì ) [ no ] { forse }"],
    [
      "50% $5 #1 @a a/b a*b a+b a=b a~b a^b a_b a|b a\\b a`b a;b a:b",
      "50 % $ 5 # 1 @ a a / b a * b a + b a = b a ~ b a ^ b a _ b a | b a \\ b a ` b a ; b a : b",
    ],
    // Python's whitespace: NBSP, U+2009, U+001C and NEL split; the BOM (JS's \s) does not.
    ["a\u00a0b\u2009c\x1cd\x85e\ufefff", "a b c d e\ufefff"],
    ["  ", ""],
  ];
  for (const [input, expected] of cases) assert.equal(tokenize13a(input), expected, JSON.stringify(input));
});

Deno.test("bleu: perfect match is 100, empty hypothesis is 0", () => {
  const perfect = corpusBleu(["Il gatto è sul tappeto rosso."], [["Il gatto è sul tappeto rosso."]]);
  // Tokens: Il gatto è sul tappeto rosso . (7): 7/7, 6/6, 5/5, 4/4 matched.
  assert.deepEqual(perfect.counts, [7, 6, 5, 4]);
  assert.deepEqual(perfect.totals, [7, 6, 5, 4]);
  near(perfect.score, 100, "perfect"); // exp(log 100) is 100.00000000000004, as in sacreBLEU
  const empty = corpusBleu([""], [["Il gatto."]]);
  assert.deepEqual(
    { ...empty },
    { score: 0, counts: [0, 0, 0, 0], totals: [0, 0, 0, 0], precisions: [0, 0, 0, 0], bp: 0, sysLen: 0, refLen: 3 },
  );
});

Deno.test("bleu: a missing 4-gram is exp-smoothed, not zero", () => {
  // hyp: il gatto è sotto tappeto rosso     ref: il gatto è sul tappeto rosso
  // 1-grams: il gatto è sotto tappeto rosso      → 5 of 6 match (not "sotto")
  // 2-grams: il·gatto gatto·è è·sotto sotto·tappeto tappeto·rosso → 3 of 5 (il·gatto, gatto·è, tappeto·rosso)
  // 3-grams: il·gatto·è gatto·è·sotto è·sotto·tappeto sotto·tappeto·rosso → 1 of 4
  // 4-grams: 3, none match → first zero order: precision 100 / (2 · 3)
  const r = corpusBleu(["il gatto è sotto tappeto rosso"], [["il gatto è sul tappeto rosso"]]);
  assert.deepEqual(r.counts, [1 + 4, 3, 1, 0]);
  assert.deepEqual(r.totals, [6, 5, 4, 3]);
  near(r.precisions[0], 500 / 6, "p1");
  near(r.precisions[3], 100 / 6, "p4");
  assert.equal(r.bp, 1);
  near(r.score, 100 * Math.pow((5 / 6) * (3 / 5) * (1 / 4) * (1 / 6), 1 / 4), "score"); // ≈ 37.99
});

Deno.test("bleu: brevity penalty and closest reference length (ties go to the shorter)", () => {
  // hyp: il gatto è sul (4 tokens), a prefix of the 6-token reference: every n-gram matches.
  const short = corpusBleu(["il gatto è sul"], [["il gatto è sul tappeto rosso"]]);
  assert.deepEqual(short.counts, [4, 3, 2, 1]);
  near(short.bp, Math.exp(1 - 6 / 4), "bp");
  near(short.score, 100 * Math.exp(-0.5), "score"); // ≈ 60.65
  // 5 tokens against references of 6 and 4: both at distance 1, the shorter (4) is taken, so no penalty.
  const tie = corpusBleuMulti(["a b c d e"], [["a b c d e f", "a b c d"]]);
  assert.equal(tie.refLen, 4);
  assert.equal(tie.bp, 1);
  // Fewer than 4 tokens in the whole corpus: no 4-gram at all, BLEU is 0 (sacreBLEU: no effective order).
  assert.equal(corpusBleu(["il gatto"], [["il gatto"]]).score, 0);
});

Deno.test("bleu: multi-reference clipping by the max count in one reference, cumulative smoothing", () => {
  // hyp: seven "il". refs: "il gatto è sul tappeto" (il ×1), "il cane e il gatto" (il ×2).
  // Clip = max(1, 2) = 2 matches, not the sum 3. No reference has "il il", so orders 2..4 have no
  // match and are smoothed with growing factors: 100/(2·6), 100/(4·5), 100/(8·4).
  const hyp = "il il il il il il il";
  const refs = ["il gatto è sul tappeto", "il cane e il gatto"];
  const r = corpusBleuMulti([hyp], [refs]);
  assert.deepEqual(r.counts, [2, 0, 0, 0]);
  assert.deepEqual(r.totals, [7, 6, 5, 4]);
  const expected = [200 / 7, 100 / 12, 100 / 20, 100 / 32];
  r.precisions.forEach((p, n) => near(p, expected[n], `p${n + 1}`));
  assert.equal(r.refLen, 5);
  near(r.score, Math.pow(expected.reduce((a, b) => a * b), 1 / 4), "score"); // ≈ 7.81
  // The same in sacreBLEU's stream layout, and with a null (None) for a missing second reference.
  assert.deepEqual(corpusBleu([hyp], [[refs[0]], [refs[1]]]), r);
  const two = corpusBleu([hyp, "il gatto"], [[refs[0], "il gatto"], [refs[1], null]]);
  assert.deepEqual(two, corpusBleuMulti([hyp, "il gatto"], [refs, ["il gatto"]]));
  // An empty string is a real reference (length 0), unlike null: here it wins the closest length.
  assert.equal(corpusBleuMulti(["a"], [["a b c", ""]]).refLen, 0);
});

Deno.test("bleu: corpus statistics are summed before precisions (not averaged per sentence)", () => {
  // Sentence 1 is the 4-token prefix above (4,3,2,1 of 4,3,2,1; ref 6); sentence 2 is perfect, 5 tokens.
  const r = corpusBleu(["il gatto è sul", "a b c d e"], [["il gatto è sul tappeto rosso", "a b c d e"]]);
  assert.deepEqual(r.counts, [9, 7, 5, 3]);
  assert.deepEqual(r.totals, [9, 7, 5, 3]);
  assert.deepEqual([r.sysLen, r.refLen], [9, 11]);
  near(r.score, 100 * Math.exp(1 - 11 / 9), "score");
});

Deno.test("bleu: Italian apostrophes and accents stay inside tokens", () => {
  // hyp: l'uomo beve dell'acqua . (4 tokens) ref: l'uomo beve dell'acqua fresca . (5 tokens)
  // 1-grams 4/4; 2-grams l'uomo·beve beve·dell'acqua match, dell'acqua·. does not → 2/3;
  // 3-grams 1/2; 4-grams 0/1 → smoothed 100/(2·1). BP = exp(1 − 5/4).
  const r = corpusBleu(["l'uomo beve dell'acqua."], [["l'uomo beve dell'acqua fresca."]]);
  assert.deepEqual(r.counts, [4, 2, 1, 0]);
  assert.deepEqual(r.totals, [4, 3, 2, 1]);
  near(r.score, 100 * Math.exp(1 - 5 / 4) * Math.pow(1 * (2 / 3) * (1 / 2) * (1 / 2), 1 / 4), "score");
  // BLEU right-strips before 13a, so a trailing "-\n" loses its newline first and is not joined: "ben-".
  assert.deepEqual(corpusBleu(["ben-\n"], [["ben-"]]).counts, [1, 0, 0, 0]);
  // A decomposed "è" (e + U+0300) is not the composed one: sacreBLEU does not normalize, neither do we.
  assert.equal(corpusBleu(["è"], [["e\u0300"]]).counts[0], 0);
});

Deno.test("bleu: clear errors for malformed input", () => {
  assert.throws(() => corpusBleu([], [[]]), /no hypotheses/);
  assert.throws(() => corpusBleu(["a", "b"], [["a"]]), /stream 0 has 1 lines but there are 2 hypotheses/);
  assert.throws(() => corpusBleu(["a"], [[null]]), /sentence 0 has no reference/);
  assert.throws(() => corpusBleuMulti(["a"], [[]]), /sentence 0 has no reference/);
  assert.throws(() => corpusChrf(["a"], [["a"], ["b"]]), /1 hypotheses but references for 2 sentences/);
});

Deno.test("chrf: hand-computed scores (whitespace excluded, effective order, beta = 2)", () => {
  // gatto vs gatti: n=1 4/5 (g a t t), n=2 3/4, n=3 2/3, n=4 1/2, n=5 0/1, n=6: none on either side,
  // left out. Precision = recall = (4/5 + 3/4 + 2/3 + 1/2 + 0) / 5 = 163/300, and F = P when P = R.
  near(corpusChrf(["gatto"], [["gatti"]]).score, 100 * 163 / 300, "gatto/gatti");
  // "il gatto" vs "il gatto nero" without spaces: "ilgatto" (7) is a prefix of "ilgattonero" (11).
  // Precision 1 at every order; recall 7/11, 6/10, 5/9, 4/8, 3/7, 2/6. F2 = 5PR / (4P + R).
  const r = corpusChrf(["il gatto"], [["il gatto nero"]]);
  const recall = (7 / 11 + 6 / 10 + 5 / 9 + 4 / 8 + 3 / 7 + 2 / 6) / 6;
  near(r.precision, 100, "precision");
  near(r.recall, 100 * recall, "recall");
  near(r.score, 100 * 5 * recall / (4 + recall), "il gatto nero"); // ≈ 56.44: recall weighs more
  assert.deepEqual(r.orders[0], { hyp: 7, ref: 11, match: 7 });
  near(corpusChrf(["il gatto"], [["ilgatto"]]).score, 100, "spaces do not count");
  assert.equal(corpusChrf([""], [["gatto"]]).score, 0);
});

Deno.test("chrf: a reference shorter than n characters drops order n, hypothesis count included", () => {
  // gattone (7) vs gatto (5): P = 5/7, 4/6, 3/5, 2/4, 1/3 for n = 1..5, recall 1. At n = 6 the
  // reference has no 6-gram, so sacreBLEU counts 0 hypothesis 6-grams (not 2) and skips the order.
  const r = corpusChrf(["gattone"], [["gatto"]]);
  assert.deepEqual(r.orders[5], { hyp: 0, ref: 0, match: 0 });
  assert.deepEqual(r.orders[4], { hyp: 3, ref: 1, match: 1 });
  const p = (5 / 7 + 4 / 6 + 3 / 5 + 2 / 4 + 1 / 3) / 5;
  near(r.score, 100 * 5 * p / (4 * p + 1), "score");
});

Deno.test("chrf: multi-reference picks each sentence's best reference, then sums the corpus", () => {
  // Sentence 1: "gatto" vs ["cane", "gatto"]: the second is a perfect match (sentence chrF 100), so its
  // counts are added: n=1..5 → 5/5/5, 4/4/4, 3/3/3, 2/2/2, 1/1/1 (hyp/ref/match), n=6 none.
  // Sentence 2: "cane" vs "cani": 4/4/3, 3/3/2, 2/2/1, 1/1/0.
  // Sums: 9/9/8, 7/7/6, 5/5/4, 3/3/2, 1/1/1 → P = R = (8/9 + 6/7 + 4/5 + 2/3 + 1) / 5 ≈ 84.25,
  // not the mean of sentence scores (100 and 47.9).
  const r = corpusChrf(["gatto", "cane"], [["cane", "gatto"], ["cani"]]);
  assert.deepEqual(r.orders.map((o) => [o.hyp, o.ref, o.match]), [
    [9, 9, 8],
    [7, 7, 6],
    [5, 5, 4],
    [3, 3, 2],
    [1, 1, 1],
    [0, 0, 0],
  ]);
  near(r.score, 100 * (8 / 9 + 6 / 7 + 4 / 5 + 2 / 3 + 1) / 5, "score");
  // A tie keeps the first reference. "aaaa" against "aba" and against "aabb" both score 5/24 (=
  // 20.83): aba gives P = (2/4 + 0 + 0)/3, R = (2/3 + 0 + 0)/3 over orders 1..3; aabb gives
  // P = R = (2/4 + 1/3 + 0 + 0)/4 over orders 1..4. Their counts differ, so the corpus score depends
  // on which one is kept.
  const tie = (refs: string[]) => corpusChrf(["aaaa", "ab"], [refs, ["abb"]]);
  assert.equal(corpusChrf(["aaaa"], [["aba"]]).score, corpusChrf(["aaaa"], [["aabb"]]).score);
  assert.deepEqual(tie(["aba", "aabb"]), corpusChrf(["aaaa", "ab"], [["aba"], ["abb"]]));
  assert.deepEqual(tie(["aabb", "aba"]), corpusChrf(["aaaa", "ab"], [["aabb"], ["abb"]]));
  assert.notEqual(tie(["aba", "aabb"]).score, tie(["aabb", "aba"]).score);
  // Characters are code points: an emoji is one character, as in Python.
  assert.deepEqual(corpusChrf(["😀a"], [["😀a"]]).orders[0], { hyp: 2, ref: 2, match: 2 });
});

// ---- Live comparison with sacreBLEU -------------------------------------------------------------

const PYTHON = SACREBLEU_PYTHON;
if (SACREBLEU === undefined) {
  console.warn(`note: ${PYTHON} has no sacrebleu (set SACREBLEU_PYTHON); the live sacreBLEU comparison is skipped`);
}

// Reads [{hyps, refs}] (refs per sentence), pads the streams with None as sacreBLEU's variable-reference
// layout wants, and prints the scores and statistics with full float precision (json uses repr).
const SCRIPT = `
import json, sys
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a
tok = Tokenizer13a()
out = []
for case in json.load(sys.stdin):
    hyps, refs = case["hyps"], case["refs"]
    k = max(len(r) for r in refs)
    streams = [[r[j] if j < len(r) else None for r in refs] for j in range(k)]
    b = BLEU().corpus_score(hyps, streams)
    chrf = CHRF()
    c = chrf.corpus_score(hyps, streams)
    stats = [sum(col) for col in zip(*chrf._extract_corpus_statistics(hyps, streams))]
    out.append({
        "bleu": {"score": b.score, "counts": b.counts, "totals": b.totals, "precisions": b.precisions,
                 "bp": b.bp, "sysLen": b.sys_len, "refLen": b.ref_len},
        "chrf": c.score, "chrfStats": stats,
        "tokens": [tok(s) for s in hyps + [x for r in refs for x in r]],
    })
json.dump(out, sys.stdout)
`;
import { SACREBLEU, SACREBLEU_PYTHON } from "./helpers/sacrebleu.ts";
import { near } from "./helpers/near.ts";

const WORDS = [
  "il",
  "la",
  "gatto",
  "cane",
  "è",
  "sul",
  "tappeto",
  "rosso",
  "perché",
  "così",
  "città",
  "più",
  "già",
  "l'uomo",
  "dell'acqua",
  "un'altra",
  "l’ora",
  "È",
  "Però",
  "caffè",
  "c'è",
  "dov'è",
  "well-known",
  "e-mail",
  "3.14",
  "1,000",
  "2020.",
  "1990-2000",
  "-5",
  "12,5%",
  "&amp;",
  "&quot;",
  "&lt;b&gt;",
  "<skipped>",
  "😀",
  "(sì)",
  "[no]",
  "U.S.A.",
  "a.b",
  "x/y",
  "e\u0300",
  "Ciao,",
  "bene!",
  "vero?",
  "sì;",
  "no:",
  "«virgolette»",
];
const GLUE = [" ", " ", " ", " ", "  ", "\t", "\u00a0", "\u2009", "\x1c", "\x85", "\u3000", "\ufeff", "-\n", "\n"];
const ENDS = ["", "", ".", "!", "?", " .", "\n", " ", "-\n", "..."];

function sentence(rng: Prng, words: string[]): string {
  let s = "";
  words.forEach((w, i) => s += (i > 0 ? rng.pick(GLUE) : "") + w);
  return s + rng.pick(ENDS);
}

/** A reference: the hypothesis's words with some dropped, replaced or inserted, so n-grams overlap. */
function perturb(rng: Prng, words: string[]): string[] {
  const out: string[] = [];
  for (const w of words) {
    const roll = rng.next();
    if (roll < 0.15) continue;
    out.push(roll < 0.3 ? rng.pick(WORDS) : w);
    if (rng.next() < 0.1) out.push(rng.pick(WORDS));
  }
  return out;
}

function corpus(rng: Prng, size: number): { hyps: string[]; refs: string[][] } {
  const hyps: string[] = [], refs: string[][] = [];
  for (let i = 0; i < size; i++) {
    const words = Array.from({ length: rng.int(12) }, () => rng.pick(WORDS));
    hyps.push(sentence(rng, words));
    refs.push(Array.from({ length: 1 + rng.int(3) }, () => sentence(rng, perturb(rng, words))));
  }
  return { hyps, refs };
}

Deno.test({
  name: `metrics: same numbers as sacreBLEU ${SACREBLEU ?? "(not found)"} on generated Italian-like corpora`,
  ignore: SACREBLEU === undefined,
  async fn() {
    const rng = new Prng(13);
    // One corpus of 200 sentences, and many tiny ones where smoothing, BP and zero scores matter.
    const cases = [corpus(rng, 200), ...Array.from({ length: 80 }, () => corpus(rng, 1 + rng.int(4)))];
    const child = new Deno.Command(PYTHON, { args: ["-c", SCRIPT], stdin: "piped", stdout: "piped", stderr: "piped" })
      .spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify(cases)));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const expected = JSON.parse(new TextDecoder().decode(stdout));
    cases.forEach(({ hyps, refs }, c) => {
      const want = expected[c];
      const lines = [...hyps, ...refs.flat()];
      lines.forEach((line, i) => assert.equal(tokenize13a(line), want.tokens[i], JSON.stringify(line)));
      const bleu = corpusBleuMulti(hyps, refs);
      assert.deepEqual(
        [bleu.counts, bleu.totals, bleu.sysLen, bleu.refLen],
        [want.bleu.counts, want.bleu.totals, want.bleu.sysLen, want.bleu.refLen],
        `case ${c}`,
      );
      // Equal up to the last bits of exp/log (V8's versus the C library's) and Python's sum().
      near(bleu.score, want.bleu.score, `case ${c} BLEU`);
      near(bleu.bp, want.bleu.bp, `case ${c} BP`);
      bleu.precisions.forEach((p, n) => near(p, want.bleu.precisions[n], `case ${c} p${n + 1}`));
      const chrf = corpusChrf(hyps, refs);
      assert.deepEqual(chrf.orders.flatMap((o) => [o.hyp, o.ref, o.match]), want.chrfStats, `case ${c} chrF stats`);
      near(chrf.score, want.chrf, `case ${c} chrF`);
    });
    const big = corpusBleuMulti(cases[0].hyps, cases[0].refs);
    console.log(
      `sacreBLEU ${SACREBLEU}: BLEU ${big.score.toFixed(2)} = ${expected[0].bleu.score.toFixed(2)}, ` +
        `chrF ${corpusChrf(cases[0].hyps, cases[0].refs).score.toFixed(2)} = ${expected[0].chrf.toFixed(2)}`,
    );
  },
});
