/** Generated corpus, splits, tokenized examples and length-bucketed batches. */
import assert from "node:assert/strict";
import { scope, values } from "../mod.ts";
import { TextTokenizer } from "../nmt/mod.ts";
import { deriveSeed, Prng } from "../nmt/data/prng.ts";
import { syntheticCorpus } from "../nmt/data/synthetic.ts";
import { splitBySource } from "../nmt/data/split.ts";
import { type Example, tokenizePairs } from "../nmt/data/examples.ts";
import { epochPlan, labelTokens, makeBatch, paddingReport } from "../nmt/data/batches.ts";
import { FIXTURES } from "./helpers/reference.ts";

Deno.test("prng: deterministic, uniform enough, seeds and derived seeds differ", () => {
  const a = new Prng(42), b = new Prng(42);
  const xs = Array.from({ length: 10000 }, () => a.next());
  assert.deepEqual(Array.from({ length: 10000 }, () => b.next()), xs);
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notEqual(new Prng(1).next(), new Prng(2).next());
  assert.notEqual(deriveSeed(7, 0), deriveSeed(7, 1));
  assert.equal(deriveSeed(7, 3), deriveSeed(7, 3));
  const shuffled = new Prng(3).shuffle([1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...shuffled].sort(), [1, 2, 3, 4, 5, 6]);
});

Deno.test("synthetic corpus: distinct, deterministic, and translated by the rules", () => {
  const corpus = syntheticCorpus(20000, 1);
  assert.equal(corpus.length, 20000);
  assert.equal(new Set(corpus.map((p) => p.src)).size, 20000, "distinct source sentences");
  assert.deepEqual(syntheticCorpus(50, 1), corpus.slice(0, 50), "the same seed gives the same corpus");
  assert.notDeepEqual(syntheticCorpus(50, 2), corpus.slice(0, 50));
  const table = new Map(corpus.map((p) => [p.src, p.tgt]));
  // Hand-written translations: articles and adjectives agree, adjectives follow nouns, pronouns drop.
  const expectations: [string, string][] = [
    ["Where are the trees?", "Dove sono gli alberi?"],
    ["Where is the apple?", "Dov'è la mela?"],
    ["The cars are small.", "Le macchine sono piccole."],
    ["The book is green.", "Il libro è verde."],
    ["The apples are white.", "Le mele sono bianche."],
    ["Where are the dogs?", "Dove sono i cani?"],
  ];
  for (const [en, it] of expectations) {
    assert.equal(table.get(en), it, en);
  }
  for (const [en, it] of table) {
    if (en.startsWith("I ")) assert.ok(!it.startsWith("Io "), `subject pronoun dropped: ${it}`);
    if (en.startsWith("Tom ")) assert.ok(it.startsWith("Tom "), it);
  }
  assert.throws(() => syntheticCorpus(10_000_000), /could not find/);
});

Deno.test("split: grouped by source sentence, sized by fraction or count, seeded", () => {
  const pairs = Array.from({ length: 300 }, (_, i) => ({ src: `s${i % 100}`, tgt: `t${i}` })); // 3 translations each
  const s = splitBySource(pairs, { valid: 0.1, test: 20, seed: 5 });
  const sources = (ps: { src: string }[]) => new Set(ps.map((p) => p.src));
  assert.equal(sources(s.valid).size, 10);
  assert.equal(sources(s.test).size, 20);
  assert.equal(sources(s.train).size, 70);
  assert.equal(s.train.length + s.valid.length + s.test.length, 300);
  for (const v of sources(s.valid)) {
    assert.ok(!sources(s.train).has(v) && !sources(s.test).has(v), `${v} in one split only`);
  }
  for (const t of sources(s.test)) assert.ok(!sources(s.train).has(t));
  assert.equal(s.valid.length, 30, "all translations of a source travel together");
  assert.deepEqual(splitBySource(pairs, { valid: 0.1, test: 20, seed: 5 }), s);
  assert.notDeepEqual(splitBySource(pairs, { valid: 0.1, test: 20, seed: 6 }).valid, s.valid);
  assert.throws(() => splitBySource(pairs, { valid: 60, test: 50, seed: 1 }), /exceed the 100 distinct sources/);
  assert.throws(() => splitBySource(pairs, { valid: 2.5, test: 0, seed: 1 }), /fraction below 1 or a whole count/);
});

Deno.test("examples: tokenized with the library, too-long and empty pairs dropped and counted", async () => {
  const en = TextTokenizer.fromFile(`${FIXTURES}/parity/small/tokenizer_en.json`);
  const it = TextTokenizer.fromFile(`${FIXTURES}/parity/small/tokenizer_it.json`);
  const pairs = [
    { src: "The dog runs.", tgt: "Il cane corre." },
    { src: "The dog runs in the garden every day with my friend.", tgt: "Il cane corre." },
    { src: "", tgt: "Il cane." },
  ];
  const { examples, dropped } = await tokenizePairs(pairs, en, it, { srcSeqLen: 8, tgtSeqLen: 8 });
  assert.deepEqual(dropped, { tooLong: 1, empty: 1 });
  assert.equal(examples.length, 1);
  assert.deepEqual(examples[0].src, await en.encode("The dog runs."));
  assert.equal(examples[0].src.length, 4); // The dog runs .
});

/** Examples with the given source/target lengths (ids are just positions). */
const made = (lengths: [number, number][]): Example[] =>
  lengths.map(([s, t]) => ({
    src: Array.from({ length: s }, (_, i) => 10 + i),
    tgt: Array.from({ length: t }, (_, i) => 20 + i),
  }));

Deno.test("batches: every example once per epoch, within the token budget, bucketed by length", () => {
  const rng = new Prng(9);
  const examples = made(Array.from({ length: 500 }, () => [1 + rng.int(30), 1 + rng.int(30)] as [number, number]));
  const plan = epochPlan(examples, { maxTokens: 200, seed: 1, epoch: 0 });
  assert.deepEqual(plan.flat().sort((a, b) => a - b), examples.map((_, i) => i), "each example exactly once");
  for (const batch of plan) {
    const longest = Math.max(...batch.map((i) => Math.max(examples[i].src.length + 2, examples[i].tgt.length + 1)));
    assert.ok(
      batch.length * longest <= 200 || batch.length === 1,
      `batch of ${batch.length} × ${longest} within 200 tokens`,
    );
  }
  const report = paddingReport(examples, plan);
  assert.ok(report.efficiency > 0.8, `bucketing keeps padding low (efficiency ${report.efficiency})`);
  const unbucketed = paddingReport(examples, [examples.map((_, i) => i)]);
  assert.ok(report.efficiency > unbucketed.efficiency);
});

Deno.test("batches: the order is a pure function of (seed, epoch), so a resumed epoch replays exactly", () => {
  const examples = made(Array.from({ length: 200 }, (_, i) => [1 + (i % 17), 1 + (i % 13)] as [number, number]));
  const plan = epochPlan(examples, { maxTokens: 120, seed: 3, epoch: 4 });
  const position = 7;
  const resumed = epochPlan(examples, { maxTokens: 120, seed: 3, epoch: 4 }).slice(position);
  assert.deepEqual(resumed, plan.slice(position));
  assert.notDeepEqual(
    epochPlan(examples, { maxTokens: 120, seed: 3, epoch: 5 }),
    plan,
    "epochs are shuffled differently",
  );
  assert.notDeepEqual(epochPlan(examples, { maxTokens: 120, seed: 4, epoch: 4 }), plan, "seeds differ");
  assert.throws(() => epochPlan(examples, { maxTokens: 0, seed: 1, epoch: 0 }), /maxTokens/);
});

Deno.test("batches: padding efficiency computed by hand", () => {
  const examples = made([[2, 1], [4, 3]]);
  // src padded lengths 4 and 6 → 2 × 6; tgt padded 2 and 4 → 2 × 4. Real: 4 + 6 + 2 + 4 = 16 of 20.
  const r = paddingReport(examples, [[0, 1]]);
  assert.deepEqual(r, { efficiency: 16 / 20, realTokens: 16, paddedTokens: 20, batches: 1 });
  assert.equal(labelTokens(examples, [0, 1]), 2 + 4);
});

Deno.test("batches: tensors in the seed's layout with padding masks", () => {
  scope(() => {
    const examples: Example[] = [{ src: [7, 8, 9], tgt: [5] }, { src: [6], tgt: [4, 4, 4] }];
    const special = { unk: 0, pad: 1, sos: 2, eos: 3 };
    const b = makeBatch(examples, [0, 1], special);
    assert.deepEqual(values(b.src), [2, 7, 8, 9, 3, 2, 6, 3, 1, 1]);
    assert.deepEqual(values(b.tgt), [2, 5, 1, 1, 2, 4, 4, 4]);
    assert.deepEqual(values(b.label), [5, 3, 1, 1, 4, 4, 4, 3]);
    assert.deepEqual(b.srcMask.shape, [2, 1, 1, 5]);
    assert.deepEqual(values(b.srcMask), [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    assert.deepEqual(b.tgtMask.shape, [2, 1, 4, 4]);
    // first row: decoder input [SOS, 5, PAD, PAD] → keys 0..1 allowed, causal
    assert.deepEqual(values(b.tgtMask).slice(0, 16), [1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
  });
});
