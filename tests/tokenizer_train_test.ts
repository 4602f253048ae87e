/**
 * Tokenizer training: word-level and BPE vocabularies against hand-computed ones, the library loading and
 * encoding our tokenizer.json files exactly as our own code predicts, and (when ../shared/data has it) the
 * figures on Tatoeba: vocabulary sizes, the [UNK] rate on held-out sentences and BPE training time.
 */
import assert from "node:assert/strict";
import {
  bpeJson,
  BpeMerges,
  compareCodepoints,
  countWords,
  END_OF_WORD,
  learnBpe,
  splitWords,
  TextTokenizer,
  TokenizerError,
  trainBpe,
  trainWordLevel,
  unknownRate,
  wordLevelJson,
  wordLevelVocab,
} from "../nmt/mod.ts";
import { ROOT } from "./helpers/reference.ts";

const SPECIALS = ["[UNK]", "[PAD]", "[SOS]", "[EOS]"];

/** Ids the library gives `text`, as token strings. */
async function libraryTokens(tok: TextTokenizer, text: string): Promise<string[]> {
  return (await tok.hf.encode(text)).getTokens();
}

// ---- splitting ----------------------------------------------------------------------------------------

const TRICKY = [
  "Dov'è la stazione?",
  "dell'uomo l'acqua",
  "Perché? Già... così—forse!?",
  "3.14 e 1,000,000 o 42nd",
  "snake_case __init__ a_1",
  "emoji 😀👍 e 👨‍👩‍👧 (famiglia)",
  "日本語のテキスト、句読点。",
  "naïve café e\u0301 Ⅻ x² ½",
  "tab\there\nnewline\u00a0nbsp",
  '"quoted" «caporali» ‘curly’',
  "",
  "   ",
];

Deno.test("splitWords: the Whitespace pre-tokenizer's runs of word and non-space characters", () => {
  assert.deepEqual(splitWords("dell'uomo, l'acqua"), ["dell", "'", "uomo", ",", "l", "'", "acqua"]);
  assert.deepEqual(splitWords("3.14 foo_bar?!..."), ["3", ".", "14", "foo_bar", "?!..."]);
  assert.deepEqual(splitWords("è café e\u0301"), ["è", "café", "e\u0301"]); // marks are word characters
  assert.deepEqual(splitWords("😀👍 日本語"), ["😀👍", "日本語"]);
  assert.deepEqual(splitWords("  "), []);
});

Deno.test("splitWords equals the library's encoding of the same strings (every word in the vocabulary)", async () => {
  const tok = await trainWordLevel(TRICKY, { minFrequency: 1 });
  for (const text of TRICKY) {
    assert.deepEqual(await libraryTokens(tok, text), splitWords(text), JSON.stringify(text));
  }
});

Deno.test("compareCodepoints: code point order, not UTF-16 code unit order", () => {
  assert.ok(compareCodepoints("\uff01", "😀") < 0); // U+FF01 < U+1F600, though "😀" < "\uff01" in JS
  assert.ok("😀" < "\uff01");
  assert.ok(compareCodepoints("T", "a") < 0);
  assert.ok(compareCodepoints("a", "ab") < 0);
  assert.equal(compareCodepoints("è", "è"), 0);
  assert.ok(compareCodepoints("z", "è") < 0);
});

Deno.test("countWords: counts over sync and async iterables alike; non-strings are a clear error", async () => {
  const texts = ["a b a", "b.", "a b a"];
  const expected = new Map([["a", 4], ["b", 3], [".", 1]]);
  assert.deepEqual(await countWords(texts), expected);
  async function* gen() {
    yield* texts;
  }
  assert.deepEqual(await countWords(gen()), expected);
  await assert.rejects(countWords(["ok", undefined as unknown as string]), (e: Error) => {
    assert.ok(e instanceof TokenizerError);
    assert.match(e.message, /training text #1 is a undefined/);
    return true;
  });
});

// ---- word level ---------------------------------------------------------------------------------------

// Counts by hand: the 3; ".", Tom, a, cat, dog, sat, è 2 each; "!", ",", end, qui 1 each.
const CORPUS = ["the cat sat.", "the dog sat!", "a cat, a dog.", "the end", "Tom è qui", "è Tom"];
// Specials, then by count, ties in code point order ("." < "T" < "a" < … < "sat" < "è").
const EXPECTED_VOCAB = [...SPECIALS, "the", ".", "Tom", "a", "cat", "dog", "sat", "è"];

Deno.test("trainWordLevel: specials at 0–3, singletons dropped, by count then code point", async () => {
  const tok = await trainWordLevel(CORPUS);
  const vocab = JSON.parse(tok.json).model.vocab as Record<string, number>;
  assert.deepEqual(Object.entries(vocab), EXPECTED_VOCAB.map((w, i) => [w, i]));
  assert.deepEqual(tok.special, { unk: 0, pad: 1, sos: 2, eos: 3 });
  assert.equal(tok.vocabSize, EXPECTED_VOCAB.length);
  for (const w of ["!", ",", "end", "qui"]) assert.equal(tok.id(w), undefined, w);
  // minFrequency 1 keeps them, after the count-2 words, in code point order.
  const all = await trainWordLevel(CORPUS, { minFrequency: 1 });
  assert.deepEqual(Object.keys(JSON.parse(all.json).model.vocab).slice(EXPECTED_VOCAB.length), [
    "!",
    ",",
    "end",
    "qui",
  ]);
});

Deno.test("trainWordLevel: library ids equal our vocabulary lookups; unknown words are [UNK]", async () => {
  const tok = await trainWordLevel(CORPUS);
  const lookup = (w: string) => Math.max(0, EXPECTED_VOCAB.indexOf(w));
  for (const text of [...CORPUS, "the bird sat!", "Tom, a cat.", "zebra"]) {
    assert.deepEqual(await tok.encode(text), splitWords(text).map(lookup), text);
  }
  assert.deepEqual(await tok.encode("the bird sat!"), [4, 0, 10, 0]);
  assert.equal(await tok.decode([2, 4, 8, 10, 5, 3, 1]), "the cat sat ."); // specials skipped
  assert.deepEqual(tok.tokens([2, 4, 0, 3]), ["the"]); // unchanged: specials dropped, [UNK] included
});

Deno.test("trainWordLevel: the reference's tokenizer.json layout", async () => {
  const tok = await trainWordLevel(CORPUS);
  const json = JSON.parse(tok.json);
  assert.deepEqual(Object.keys(json), [
    "version",
    "truncation",
    "padding",
    "added_tokens",
    "normalizer",
    "pre_tokenizer",
    "post_processor",
    "decoder",
    "model",
  ]);
  assert.deepEqual({ ...json, model: undefined }, {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: "Whitespace" },
    post_processor: null,
    decoder: null,
    model: undefined,
  });
  assert.deepEqual(Object.keys(json.model), ["type", "vocab", "unk_token"]);
  assert.equal(json.model.type, "WordLevel");
  assert.equal(json.model.unk_token, "[UNK]");
  // Integer-like words stay in id order in the file.
  const digits = wordLevelJson(wordLevelVocab(new Map([["7", 3], ["x", 2]])), SPECIALS);
  assert.match(digits, /"vocab":\{"\[UNK\]":0,"\[PAD\]":1,"\[SOS\]":2,"\[EOS\]":3,"7":4,"x":5\}/);
});

Deno.test("trainWordLevel: custom specials, and clear errors for bad options", async () => {
  const tok = await trainWordLevel(CORPUS, { specials: ["[PAD]", "[UNK]", "[SOS]", "[EOS]", "[MASK]"] });
  assert.deepEqual(tok.special, { pad: 0, unk: 1, sos: 2, eos: 3 });
  assert.equal(tok.id("[MASK]"), 4);
  assert.equal(tok.id("the"), 5);
  const bad = async (opts: object, pattern: RegExp) =>
    await assert.rejects(trainWordLevel(CORPUS, opts), (e: Error) => {
      assert.ok(e instanceof TokenizerError, e.name);
      assert.match(e.message, pattern);
      return true;
    });
  await bad({ specials: ["[UNK]", "[PAD]", "[SOS]"] }, /must include \[EOS\]/);
  await bad({ specials: [...SPECIALS, "[PAD]"] }, /distinct/);
  await bad({ specials: [...SPECIALS, ""] }, /non-empty/);
  await bad({ minFrequency: 0 }, /minFrequency must be an integer ≥ 1, got 0/);
  await bad({ minFrequency: 1.5 }, /minFrequency/);
});

// ---- BPE ----------------------------------------------------------------------------------------------

// Sennrich et al.'s example: low ×5, lower ×2, newest ×6, widest ×3.
const CLASSIC = new Map([["low", 5], ["lower", 2], ["newest", 6], ["widest", 3]]);
// By hand: (e,s) and (s,t</w>) tie at 9, "e" < "s"; then (es,t</w>) 9; (l,o) 7; (e,w), (n,e), (w,est</w>) tie
// at 6: "e" first; then (ew,est</w>) ("ew" < "n"), (n,ewest</w>) 6; (lo,w</w>) 5; (d,est</w>), (i,d), (w,i) at 3;
// then (i,dest</w>), (w,idest</w>); at 2: (e,r</w>), (lo,w), (w,e) → (e,r</w>); (lo,w) < (w,er</w>); (low,er</w>).
const CLASSIC_MERGES: [string, string][] = [
  ["e", "s"],
  ["es", "t</w>"],
  ["l", "o"],
  ["e", "w"],
  ["ew", "est</w>"],
  ["n", "ewest</w>"],
  ["lo", "w</w>"],
  ["d", "est</w>"],
  ["i", "dest</w>"],
  ["w", "idest</w>"],
  ["e", "r</w>"],
  ["lo", "w"],
  ["low", "er</w>"],
];
const CLASSIC_ALPHABET = ["d", "e", "i", "l", "n", "o", "r", "s", "t", "w"];

Deno.test("learnBpe: the classic low/lower/newest/widest merges, computed by hand", () => {
  const { vocab, merges } = learnBpe(CLASSIC, { vocabSize: 100 });
  assert.deepEqual(merges, CLASSIC_MERGES);
  assert.deepEqual(vocab, [
    ...SPECIALS,
    ...CLASSIC_ALPHABET,
    ...CLASSIC_ALPHABET.map((c) => c + END_OF_WORD),
    ...CLASSIC_MERGES.map(([a, b]) => a + b),
  ]);
  // The vocabulary size caps the merges: 24 initial tokens + 5 merges.
  const small = learnBpe(CLASSIC, { vocabSize: 29 });
  assert.equal(small.vocab.length, 29);
  assert.deepEqual(small.merges, CLASSIC_MERGES.slice(0, 5));
  // minFrequency stops at the first pair seen fewer times: 3 keeps the merges of counts ≥ 3.
  assert.deepEqual(learnBpe(CLASSIC, { vocabSize: 100, minFrequency: 3 }).merges, CLASSIC_MERGES.slice(0, 10));
});

Deno.test("learnBpe: too small a vocabulary and bad options are clear errors", () => {
  assert.throws(() => learnBpe(CLASSIC, { vocabSize: 23 }), (e: Error) => {
    assert.ok(e instanceof TokenizerError);
    assert.match(e.message, /vocabSize 23 is too small: .*10 characters.* 24 tokens/);
    return true;
  });
  assert.throws(() => learnBpe(CLASSIC, { vocabSize: 0 }), /vocabSize must be an integer/);
  assert.throws(() => learnBpe(CLASSIC, { vocabSize: 8.5 }), /vocabSize must be an integer/);
  assert.throws(() => learnBpe(CLASSIC, { vocabSize: 100, minFrequency: -1 }), /minFrequency/);
});

const CLASSIC_TEXTS = [
  ...Array(5).fill("low"),
  ...Array(2).fill("lower"),
  ...Array(6).fill("newest"),
  ...Array(3).fill("widest"),
];

Deno.test("trainBpe: the library encodes like our merges, and decoding gives the words back", async () => {
  const tok = await trainBpe(CLASSIC_TEXTS, { vocabSize: 100 });
  const { vocab, merges } = JSON.parse(tok.json).model;
  assert.deepEqual(merges, CLASSIC_MERGES);
  assert.equal(tok.vocabSize, 37);
  const reference = new BpeMerges(Object.keys(vocab), merges);
  assert.deepEqual(reference.word("lowest"), ["low", "est</w>"]);
  assert.deepEqual(reference.word("newer"), ["n", "ew", "er</w>"]);
  for (const text of ["low lower newest widest", "lowest newer, wider!", "slow", "Lowest"]) {
    assert.deepEqual(await libraryTokens(tok, text), reference.tokens(text), text);
  }
  assert.deepEqual(await libraryTokens(tok, "lowest newer"), ["low", "est</w>", "n", "ew", "er</w>"]);
  const ids = await tok.encode("lowest newer");
  assert.equal(await tok.decode([2, ...ids, 3]), "lowest newer");
  // Characters never seen are [UNK], one per character; they are dropped by decode like other specials.
  assert.deepEqual(await libraryTokens(tok, "lowx"), ["low", "[UNK]"]);
});

Deno.test("trainBpe: the tokenizer.json layout (BPE with </w>, BPEDecoder), and merges as strings load too", async () => {
  const tok = await trainBpe(CLASSIC_TEXTS, { vocabSize: 30 });
  const json = JSON.parse(tok.json);
  assert.deepEqual(json.decoder, { type: "BPEDecoder", suffix: "</w>" });
  assert.deepEqual(json.pre_tokenizer, { type: "Whitespace" });
  assert.deepEqual({ ...json.model, vocab: undefined, merges: undefined }, {
    type: "BPE",
    dropout: null,
    unk_token: "[UNK]",
    continuing_subword_prefix: null,
    end_of_word_suffix: "</w>",
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab: undefined,
    merges: undefined,
  });
  // The older "left right" form of merges gives the same tokenizer; we write pairs, as the library does.
  json.model.merges = json.model.merges.map(([a, b]: string[]) => `${a} ${b}`);
  const old = TextTokenizer.fromJSON(JSON.stringify(json));
  for (const text of ["lowest newer", "widest low"]) assert.deepEqual(await old.encode(text), await tok.encode(text));
});

Deno.test("trainBpe: deterministic: the same texts, in any order, give byte-identical JSON", async () => {
  const a = await trainBpe(CORPUS, { vocabSize: 60, minFrequency: 1 });
  const b = await trainBpe(CORPUS, { vocabSize: 60, minFrequency: 1 });
  const c = await trainBpe([...CORPUS].reverse(), { vocabSize: 60, minFrequency: 1 });
  assert.equal(a.json, b.json);
  assert.equal(a.json, c.json);
  assert.ok(a.vocabSize <= 60);
});

/** A small seeded generator (mulberry32), for the randomized corpus below. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("trainBpe: on random words over a 3-letter alphabet, the library agrees with our merges everywhere", async () => {
  // A tiny alphabet gives long runs of one letter ("aaaa…"), where merges overlap: the tricky case.
  for (const seed of [1, 2, 3]) {
    const next = random(seed);
    const words = Array.from({ length: 300 }, () => {
      const n = 1 + Math.floor(next() * 7);
      return Array.from({ length: n }, () => "abc"[Math.floor(next() * 3)]).join("");
    });
    const counts = await countWords(words);
    const model = learnBpe(counts, { vocabSize: 80 });
    assert.ok(model.vocab.length <= 80);
    const tok = TextTokenizer.fromJSON(bpeJson(model, SPECIALS));
    const reference = new BpeMerges(model.vocab, model.merges);
    const text = words.join(" ");
    assert.deepEqual(await libraryTokens(tok, text), reference.tokens(text), `seed ${seed}`);
    assert.equal(await tok.decode(await tok.encode(text)), text);
  }
});

// ---- statistics and files -----------------------------------------------------------------------------

Deno.test("unknownRate: counts [UNK] tokens over texts", async () => {
  const tok = await trainWordLevel(CORPUS);
  assert.deepEqual(await unknownRate(tok, ["the bird sat!", "a cat"]), { tokens: 6, unknown: 2, rate: 2 / 6 });
  assert.deepEqual(await unknownRate(tok, []), { tokens: 0, unknown: 0, rate: 0 });
  // More texts than one batch.
  const many = Array.from({ length: 2500 }, (_, i) => (i % 2 ? "the cat" : "the zebra"));
  assert.deepEqual(await unknownRate(tok, many), { tokens: 5000, unknown: 1250, rate: 0.25 });
});

Deno.test("save and reload: the same file text and the same ids", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tok-" });
  try {
    for (const tok of [await trainWordLevel(CORPUS), await trainBpe(CLASSIC_TEXTS, { vocabSize: 100 })]) {
      await tok.save(`${dir}/tokenizer.json`);
      const back = TextTokenizer.fromFile(`${dir}/tokenizer.json`);
      assert.equal(back.json, tok.json);
      for (const text of [...CORPUS, "lowest newer"]) assert.deepEqual(await back.encode(text), await tok.encode(text));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- Tatoeba ------------------------------------------------------------------------------------------

const TATOEBA = `${ROOT}/../shared/data/tatoeba-en-it.jsonl`;
const haveTatoeba = (() => {
  try {
    return Deno.statSync(TATOEBA).isFile;
  } catch {
    return false;
  }
})();

/** FNV-1a, to hold out sentences by their English side (all translations of one sentence go together). */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

Deno.test({
  name: "Tatoeba: word-level vocabularies, [UNK] rate on held-out sentences, BPE 8k training time",
  ignore: !haveTatoeba,
  fn: async () => {
    const pairs: { en: string; it: string }[] = (await Deno.readTextFile(TATOEBA)).split("\n").filter((l) => l)
      .map((l) => JSON.parse(l));
    const held = (p: { en: string }) => fnv1a(p.en) % 50 === 0; // ~2% of English sentences
    const train = pairs.filter((p) => !held(p));
    const valid = pairs.filter(held);
    const figures: Record<string, unknown> = { pairs: pairs.length, train: train.length, heldOut: valid.length };

    for (const lang of ["en", "it"] as const) {
      const t0 = performance.now();
      const tok = await trainWordLevel(train.map((p) => p[lang]), { minFrequency: 2 });
      const seconds = (performance.now() - t0) / 1000;
      const unk = await unknownRate(tok, valid.map((p) => p[lang]));
      figures[`wordLevel.${lang}`] = { vocab: tok.vocabSize, seconds: +seconds.toFixed(2), ...unk };
      assert.ok(tok.vocabSize > 5000, `${lang} vocabulary ${tok.vocabSize}`);
      assert.ok(unk.rate > 0 && unk.rate < 0.05, `${lang} [UNK] rate ${unk.rate}`);
    }

    const texts = pairs.flatMap((p) => [p.en, p.it]);
    const t0 = performance.now();
    const bpe = await trainBpe(texts, { vocabSize: 8000 });
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(bpe.vocabSize, 8000);
    assert.ok(seconds < 60, `BPE training took ${seconds.toFixed(1)} s`);

    // The library and our merges agree on held-out sentences, and decoding gives their words back.
    const { vocab, merges } = JSON.parse(bpe.json).model;
    const reference = new BpeMerges(Object.keys(vocab), merges);
    const sample = valid.slice(0, 2000).flatMap((p) => [p.en, p.it]);
    for (const text of sample) {
      assert.deepEqual(await libraryTokens(bpe, text), reference.tokens(text), text);
    }
    let roundTrips = 0;
    for (const text of sample) {
      if ((await bpe.decode(await bpe.encode(text))) === splitWords(text).join(" ")) roundTrips++;
    }
    const tokensPerWord = (await unknownRate(bpe, sample)).tokens /
      sample.reduce((n, t) => n + splitWords(t).length, 0);
    figures.bpe = {
      vocab: bpe.vocabSize,
      merges: merges.length,
      seconds: +seconds.toFixed(2),
      heldOutUnk: await unknownRate(bpe, valid.flatMap((p) => [p.en, p.it])),
      tokensPerWord: +tokensPerWord.toFixed(3),
      roundTrips: `${roundTrips}/${sample.length}`,
    };
    console.log(JSON.stringify(figures, null, 2));
  },
});
