/**
 * The lexical shortlist: its counts on pairs small enough to count by hand, the union a batch scores,
 * the file round trip and malformed files, and decoding with a vocabulary (the whole vocabulary gives
 * exactly what decoding without one gives; a subset only emits its own ids).
 */
import assert from "node:assert/strict";
import { free, memory, scope, tensor, writeSafetensors } from "../mod.ts";
import { canPack, packModel, padBatch, quantizeModel, transformer } from "../nmt/mod.ts";
import { loadModelFolder, ModelFolderError } from "../nmt/io/folder.ts";
import { beamSearch } from "../nmt/decode/beam.ts";
import { buildShortlist, shortlistFor } from "../nmt/decode/shortlist.ts";
import { loadShortlist, saveShortlist } from "../nmt/io/shortlist_file.ts";
import { sourceIds, translate } from "../nmt/decode/translate.ts";
import { FIXTURES } from "./helpers/reference.ts";

const SMALL = `${FIXTURES}/parity/small`;

// Source words 0..3, target words 0..5. Target 5 is in every pair (the frequent one with frequent: 1).
const PAIRS = [
  { src: [0, 1], tgt: [5, 2, 2] }, // 2 repeated: counted once per pair
  { src: [0], tgt: [5, 2, 3] },
  { src: [1, 2], tgt: [5, 4] },
  { src: [0, 2], tgt: [5, 3, 4] },
];

Deno.test("shortlist: counts pairs per source word, keeps the most frequent partners, ties to the smaller id", () => {
  const list = buildShortlist(PAIRS, 4, 6, { perWord: 2, frequent: 1 });
  assert.deepEqual(Array.from(list.frequent), [5], "5 is in all 4 pairs");
  // word 0: pairs 0, 1, 3 → 2 twice, 3 twice, 4 once → [2, 3] (tie 2 = 3 goes to 2 first)
  // word 1: pairs 0, 2 → 2, 4 once each → [2, 4]
  // word 2: pairs 2, 3 → 4 twice, 3 once → [4, 3]
  // word 3: never seen → no candidates
  assert.deepEqual(Array.from(list.candidates), [2, 3, 2, 4, 4, 3, -1, -1]);
  assert.deepEqual(shortlistFor(list, [[0], [3]], [0, 1]), [0, 1, 2, 3, 5]);
  assert.deepEqual(shortlistFor(list, [[2, 1]], []), [2, 3, 4, 5]);
  assert.throws(() => shortlistFor(list, [[4]], []), /source id 4 is outside/);
  assert.throws(() => buildShortlist([{ src: [9], tgt: [] }], 4, 6), /source id 9 is outside/);
  assert.throws(() => buildShortlist(PAIRS, 4, 6, { perWord: -1 }), /perWord must be an integer/);
  // With no frequent words, 5 competes like any other: first for words 0 and 1, and for word 2 it ties
  // with 4 (both in pairs 2 and 3), which goes first as the smaller id.
  assert.deepEqual(Array.from(buildShortlist(PAIRS, 4, 6, { perWord: 1, frequent: 0 }).candidates), [5, 5, 4, -1]);
});

Deno.test("shortlist file: round trip, and malformed files named", () => {
  const dir = Deno.makeTempDirSync();
  const before = memory().tensors;
  try {
    assert.equal(loadShortlist(dir, 6), null, "a folder without one");
    const list = buildShortlist(PAIRS, 4, 6, { perWord: 2, frequent: 1 });
    saveShortlist(dir, list, { note: "test" });
    assert.deepEqual(loadShortlist(dir, 6), list);
    assert.throws(() => loadShortlist(dir, 5), /target id is outside the vocabulary \[0, 5\)/);
    scope(() => writeSafetensors(`${dir}/shortlist.safetensors`, [["frequent", tensor([1], [1], { dtype: "i32" })]]));
    assert.throws(() => loadShortlist(dir, 6), /not a shortlist \(it needs the tensors candidates and frequent\)/);
    assert.equal(memory().tensors, before, "no tensor outlives the loads, failed ones included");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test({
  name: "a vocabulary's rows are packed as the model's weights: the whole one gives the packed model's output",
  ignore: !canPack(), // packed f32 and the int8 rows both need the dnnl engine
  async fn() {
    const folder = loadModelFolder(SMALL);
    try {
      const sentences = ["I am here.", "Where is the station?", "Tom is happy.", "She reads a book every day."];
      const ids = await Promise.all(sentences.map(async (s) => (await sourceIds(folder, s)).ids));
      const all = Array.from({ length: folder.model.config.tgtVocabSize }, (_, i) => i);
      const kinds = [
        ["f32 packed", (projection: boolean) => packModel(folder.model, { projection })],
        ["int8", (projection: boolean) => quantizeModel(folder.model, { projection })],
      ] as const;
      const before = memory().tensors;
      scope(() => {
        const src = padBatch<"src">(ids, 1);
        const mask = transformer.paddingMask(src, 1);
        for (const [kind, make] of kinds) {
          const whole = make(true), rowsApart = make(false);
          for (const beam of [1, 3]) {
            const opts = { maxLen: 20, sos: 2, eos: 3, beam, nbest: beam };
            // Each row packed (or quantized) on its own is that row of the whole projection packed at once.
            assert.deepEqual(
              beamSearch(rowsApart, src, mask, { ...opts, vocabulary: all }),
              beamSearch(whole, src, mask, opts),
              `${kind}, beam ${beam}`,
            );
          }
        }
      });
      assert.equal(memory().tensors, before, "the packed models and rows are freed");
    } finally {
      free([folder.model.params, folder.model.buffers]);
    }
  },
});

Deno.test("decoding with a vocabulary: the whole one changes nothing, a subset emits only its ids", async () => {
  const folder = loadModelFolder(SMALL);
  try {
    const sentences = ["I am here.", "Where is the station?", "Tom is happy.", "She reads a book every day."];
    const ids = await Promise.all(sentences.map(async (s) => (await sourceIds(folder, s)).ids));
    const vocab = folder.model.config.tgtVocabSize;
    const before = memory().tensors;
    scope(() => {
      const src = padBatch<"src">(ids, 1);
      const mask = transformer.paddingMask(src, 1);
      for (const beam of [1, 3]) {
        const opts = { maxLen: 20, sos: 2, eos: 3, beam, nbest: beam };
        const plain = beamSearch(folder.model, src, mask, opts);
        const all = Array.from({ length: vocab }, (_, i) => i);
        assert.deepEqual(beamSearch(folder.model, src, mask, { ...opts, vocabulary: all }), plain, `beam ${beam}`);
        const subset = all.filter((i) => i < 4 || i % 3 === 0);
        for (const hyps of beamSearch(folder.model, src, mask, { ...opts, vocabulary: subset })) {
          for (const h of hyps) assert.ok(h.ids.every((id) => subset.includes(id)), `beam ${beam}: ${h.ids}`);
        }
      }
      assert.throws(
        () => beamSearch(folder.model, src, mask, { maxLen: 5, sos: 2, eos: 3, beam: 1, vocabulary: [3, 2] }),
        /ascending distinct ids/,
      );
      assert.throws(
        () =>
          beamSearch(quantizeModel(folder.model), src, mask, {
            maxLen: 5,
            sos: 2,
            eos: 3,
            beam: 1,
            vocabulary: [2, 3],
          }),
        /f32 output projection/,
      );
    });
    assert.equal(memory().tensors, before, "decoding with a vocabulary leaks nothing");
    // translate picks the folder's shortlist up; one holding every word gives the plain output.
    const everything = buildShortlist([], folder.model.config.srcVocabSize, vocab, { perWord: 1, frequent: 0 });
    const complete = { ...everything, frequent: Int32Array.from({ length: vocab }, (_, i) => i) };
    assert.deepEqual(
      (await translate({ ...folder, shortlist: complete }, sentences)).map((t) => t.ids),
      (await translate(folder, sentences)).map((t) => t.ids),
    );
    assert.throws(
      () => loadModelFolder(SMALL, { shortlist: true }),
      (e: Error) => e instanceof ModelFolderError && /has no shortlist.safetensors/.test(e.message),
    );
  } finally {
    free([folder.model.params, folder.model.buffers]);
  }
});
