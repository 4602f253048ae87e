/** Corpus readers: JSONL, TSV, Moses and parquet files, their errors, and the real Tatoeba file when present. */
import assert from "node:assert/strict";
import {
  CorpusError,
  corpusStats,
  detectCorpus,
  loadPairs,
  readPairBatches,
  readPairs,
  readParquetPairs,
  type SentencePair,
} from "../nmt/data/corpus.ts";
import { flatParquet, opusBooksParquet } from "./helpers/parquet.ts";

const TATOEBA = new URL("../../shared/data/tatoeba-en-it.jsonl", import.meta.url).pathname;
const hasTatoeba = (() => {
  try {
    return Deno.statSync(TATOEBA).isFile;
  } catch {
    return false;
  }
})();

const utf8 = new TextEncoder();

/** A fresh folder with `files` written in it (strings as UTF-8, bytes as is); removed after `body`. */
async function withFiles(
  files: Record<string, string | Uint8Array>,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "corpus_test_" });
  try {
    for (const [name, content] of Object.entries(files)) {
      await Deno.writeFile(`${dir}/${name}`, typeof content === "string" ? utf8.encode(content) : content);
    }
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Runs `f` and returns the CorpusError it throws (failing when it throws nothing or something else). */
async function corpusError(f: () => Promise<unknown>): Promise<CorpusError> {
  try {
    await f();
  } catch (e) {
    if (e instanceof CorpusError) return e;
    throw e;
  }
  assert.fail("expected a CorpusError");
}

const pairs = (...xs: [string, string][]): SentencePair[] => xs.map(([src, tgt]) => ({ src, tgt }));

Deno.test("jsonl: flat and opus_books-style objects, trimmed, blank lines skipped, empty sides counted", async () => {
  const text = [
    `{"en": "Hi.", "it": "Ciao!"}`,
    ``,
    `   `,
    `{"id": "7", "translation": {"en": "  Run! ", "it": "Corri!\\t"}}`,
    `{"en": "Lost.", "it": "   "}`,
    `{"en": "", "it": "Vuoto"}`,
    `{"it": "Chi?", "en": "Who?", "extra": 1}`,
  ].join("\n") + "\n";
  await withFiles({ "c.jsonl": text, "c.json": text }, async (dir) => {
    for (const name of ["c.jsonl", "c.json"]) {
      const c = await loadPairs(`${dir}/${name}`);
      assert.deepEqual(c.pairs, pairs(["Hi.", "Ciao!"], ["Run!", "Corri!"], ["Who?", "Chi?"]));
      assert.deepEqual(c.skipped, { empty: 2 });
      assert.equal(c.format, "jsonl");
      assert.deepEqual(c.files, [`${dir}/${name}`]);
    }
    const reversed = await loadPairs(`${dir}/c.jsonl`, { src: "it", tgt: "en" });
    assert.deepEqual(reversed.pairs, pairs(["Ciao!", "Hi."], ["Corri!", "Run!"], ["Chi?", "Who?"]));
  });
});

Deno.test("line endings: CRLF, a last line without a newline, a BOM, no trailing blank pair", async () => {
  await withFiles({
    "crlf.jsonl": `{"en": "a", "it": "b"}\r\n{"en": "c", "it": "d"}\r\n`,
    "nonl.jsonl": `{"en": "a", "it": "b"}\n{"en": "c", "it": "d"}`,
    "bom.jsonl": `\uFEFF{"en": "a", "it": "b"}\n{"en": "c", "it": "d"}\n`,
    "crlf.tsv": `a\tb\r\nc\td\r\n`,
    "nonl.tsv": `a\tb\nc\td`,
    "m.en": "a\r\nc",
    "m.it": "b\nd\n",
  }, async (dir) => {
    for (const name of ["crlf.jsonl", "nonl.jsonl", "bom.jsonl", "crlf.tsv", "nonl.tsv", "m.en"]) {
      const c = await loadPairs(`${dir}/${name}`);
      assert.deepEqual(c.pairs, pairs(["a", "b"], ["c", "d"]), name);
      assert.deepEqual(c.skipped, { empty: 0 }, name);
    }
    // A CR inside a line is kept (only the CR of a CRLF ending goes), and then trimmed as whitespace.
    const c = await loadPairs(`${dir}/crlf.tsv`, { src: "it", tgt: "en" });
    assert.deepEqual(c.pairs, pairs(["b", "a"], ["d", "c"]));
  });
});

Deno.test("tsv: Tatoeba/Anki columns, extra columns ignored, column order, reversal", async () => {
  const anki = "Go.\tVai.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272 (CM)\n" +
    "Hi.\tCiao!\tCC-BY 2.0\n\t\n" +
    "  \nRun!\t \tx\n";
  await withFiles({ "anki.txt": anki, "itfirst.tsv": "Vai.\tGo.\n", "ids.tsv": "1\tGo.\t2\tVai.\n" }, async (dir) => {
    const c = await loadPairs(`${dir}/anki.txt`);
    assert.equal(c.format, "tsv");
    assert.deepEqual(c.pairs, pairs(["Go.", "Vai."], ["Hi.", "Ciao!"]));
    assert.deepEqual(c.skipped, { empty: 1 }, "Run! with an empty Italian side; the blank lines are not pairs");
    assert.deepEqual(
      (await loadPairs(`${dir}/anki.txt`, { src: "it", tgt: "en" })).pairs,
      pairs(["Vai.", "Go."], [
        "Ciao!",
        "Hi.",
      ]),
    );
    assert.deepEqual((await loadPairs(`${dir}/itfirst.tsv`, { columns: ["it", "en"] })).pairs, pairs(["Go.", "Vai."]));
    const ids = await loadPairs(`${dir}/ids.tsv`, { columns: ["id", "en", "id", "it"] });
    assert.deepEqual(ids.pairs, pairs(["Go.", "Vai."]));
  });
});

Deno.test("tsv: too few columns and unknown column names are errors with the file and line", async () => {
  await withFiles({ "c.tsv": "Go.\tVai.\n\nHi. Ciao!\n" }, async (dir) => {
    const e = await corpusError(() => loadPairs(`${dir}/c.tsv`));
    assert.equal(e.file, `${dir}/c.tsv`);
    assert.equal(e.line, 3);
    assert.match(e.message, /c\.tsv:3: 1 tab-separated column, needs at least 2 \(columns: en, it\)/);
    const f = await corpusError(() => loadPairs(`${dir}/c.tsv`, { src: "en", tgt: "fr" }));
    assert.match(f.message, /no TSV column is "fr" \(columns: en, it\)/);
    const g = await corpusError(() => loadPairs(`${dir}/c.tsv`, { columns: ["id", "en", "it"] }));
    assert.match(g.message, /c\.tsv:1: 2 tab-separated columns, needs at least 3/);
  });
});

Deno.test("moses: a prefix or either file, reversal, blank lines as empty pairs", async () => {
  await withFiles({ "train.en": "Hi.\nRun!\n\nWho?\n", "train.it": "Ciao!\nCorri!\nVuota\nChi?\n" }, async (dir) => {
    const expected = pairs(["Hi.", "Ciao!"], ["Run!", "Corri!"], ["Who?", "Chi?"]);
    for (const path of [`${dir}/train`, `${dir}/train.en`, `${dir}/train.it`]) {
      const c = await loadPairs(path);
      assert.equal(c.format, "moses");
      assert.deepEqual(c.files, [`${dir}/train.en`, `${dir}/train.it`]);
      assert.deepEqual(c.pairs, expected, path);
      assert.deepEqual(c.skipped, { empty: 1 });
    }
    const reversed = await loadPairs(`${dir}/train.en`, { src: "it", tgt: "en" });
    assert.deepEqual(reversed.files, [`${dir}/train.it`, `${dir}/train.en`]);
    assert.deepEqual(reversed.pairs, expected.map(({ src, tgt }) => ({ src: tgt, tgt: src })));
  });
});

Deno.test("moses: files of different lengths name both counts", async () => {
  await withFiles(
    { "a.en": "1\n2\n3\n4\n5\n", "a.it": "uno\ndue\ntre", "b.en": "1\n", "b.it": "uno\ndue\n" },
    async (dir) => {
      const e = await corpusError(() => loadPairs(`${dir}/a`));
      assert.match(e.message, /Moses files differ in length: .*a\.en has 5 lines, .*a\.it has 3/);
      assert.equal(e.file, `${dir}/a.en`);
      assert.equal(e.line, 4, "the first line without a partner");
      const f = await corpusError(() => loadPairs(`${dir}/b.en`));
      assert.match(f.message, /b\.en has 1 lines, .*b\.it has 2/);
      assert.equal(f.file, `${dir}/b.it`);
      // A missing half is reported as a missing file.
      await Deno.remove(`${dir}/b.it`);
      const g = await corpusError(() => loadPairs(`${dir}/b.en`));
      assert.equal(g.file, `${dir}/b.it`);
      assert.match(g.message, /no such file/);
    },
  );
});

Deno.test("format detection: extensions, prefixes, the explicit override, unknown and missing files", async () => {
  await withFiles({
    "data.bin": `{"en": "a", "it": "b"}\n`,
    "x.en": "a\n",
    "x.it": "b\n",
    "t.txt": "a\tb\n",
    "p.parquet": flatParquet({ en: ["a"], it: ["b"] }),
  }, async (dir) => {
    assert.equal((await detectCorpus(`${dir}/t.txt`)).format, "tsv");
    assert.equal((await detectCorpus(`${dir}/p.parquet`)).format, "parquet");
    assert.deepEqual(await detectCorpus(`${dir}/x`), { format: "moses", files: [`${dir}/x.en`, `${dir}/x.it`] });
    assert.deepEqual(await detectCorpus(`${dir}/x.it`, { src: "it", tgt: "en" }), {
      format: "moses",
      files: [`${dir}/x.it`, `${dir}/x.en`],
    });
    assert.deepEqual((await loadPairs(`${dir}/data.bin`, { format: "jsonl" })).pairs, pairs(["a", "b"]));
    assert.match((await corpusError(() => loadPairs(`${dir}/data.bin`))).message, /cannot tell the corpus format/);
    assert.match((await corpusError(() => loadPairs(`${dir}/nothing`))).message, /nothing: no such file/);
    assert.match((await corpusError(() => loadPairs(`${dir}/nothing.jsonl`))).message, /no such file/);
    assert.match((await corpusError(() => loadPairs(dir, { format: "jsonl" }))).message, /is a folder/);
  });
});

Deno.test("jsonl: malformed lines are errors with file:line and what was wrong", async () => {
  const cases: [string, RegExp][] = [
    [`{"en": "a", "it": }`, /:2: not valid JSON/],
    [`{"en": "a"}`, /:2: no "it" \(keys: "en"\)/],
    [`{"en": "a", "fr": "b"}`, /:2: no "it" \(keys: "en", "fr"\)/],
    [`{"translation": {"en": "a", "de": "b"}}`, /:2: "translation" has no "it" \(its keys: "en", "de"\)/],
    [`{"translation": "a"}`, /:2: "translation" is a string \("a"\), not an object/],
    [`{"en": "a", "it": 3}`, /:2: "it" is a number \(3\), not a string/],
    [`{"en": null, "it": "b"}`, /:2: "en" is null, not a string/],
    [`{"translation": {"en": ["a"], "it": "b"}}`, /:2: "translation.en" is an array, not a string/],
    [`["a", "b"]`, /:2: expected a JSON object, got an array/],
    [`"a"`, /:2: expected a JSON object, got a string/],
  ];
  for (const [line, expected] of cases) {
    await withFiles({ "c.jsonl": `{"en": "ok", "it": "ok"}\n${line}\n{"en": "ok", "it": "ok"}\n` }, async (dir) => {
      const e = await corpusError(() => loadPairs(`${dir}/c.jsonl`));
      assert.equal(e.file, `${dir}/c.jsonl`);
      assert.equal(e.line, 2);
      assert.match(e.message, expected, line);
      assert.ok(e.message.startsWith(`${dir}/c.jsonl:2: `), e.message);
    });
  }
  await withFiles({ "arr.json": `[{"en": "a", "it": "b"},\n{"en": "c", "it": "d"}]\n` }, async (dir) => {
    assert.match((await corpusError(() => loadPairs(`${dir}/arr.json`))).message, /:1: .*a JSON array is not JSONL/);
  });
});

Deno.test("utf-8: invalid bytes are an error naming the line, in any chunk", async () => {
  const ok = utf8.encode(`{"en": "caffè", "it": "caffè"}\n`);
  const bad = (bytes: number[]) =>
    new Uint8Array([...utf8.encode(`{"en": "x`), ...bytes, ...utf8.encode(`", "it": "y"}\n`)]);
  const file = (before: number, badLine: Uint8Array) => {
    const parts = [...Array(before).fill(ok), badLine, ok];
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) (out.set(p, at), at += p.length);
    return out;
  };
  await withFiles({
    "a.jsonl": file(2, bad([0xff])),
    "b.jsonl": file(60_000, bad([0xc3, 0x28])), // past the first 1 MiB chunk
    "c.jsonl": file(1, bad([0xe2, 0x82])), // a character cut short before the quote
    "d.en": new Uint8Array([...utf8.encode("ok\nok\n"), 0xc0, 0xaf, 0x0a]),
    "d.it": "ok\nok\nok\n",
    "e.tsv": new Uint8Array([...utf8.encode("a\tb\n"), 0x61, 0x09, 0xed, 0xa0, 0x80]), // a surrogate, no newline
  }, async (dir) => {
    const a = await corpusError(() => loadPairs(`${dir}/a.jsonl`));
    assert.equal(a.line, 3);
    assert.match(a.message, /a\.jsonl:3: invalid UTF-8 \(bytes ff 22 2c 20 at byte 10 of the line\)/);
    const b = await corpusError(() => loadPairs(`${dir}/b.jsonl`));
    assert.equal(b.line, 60_001);
    assert.match(b.message, /b\.jsonl:60001: invalid UTF-8 \(bytes c3 28 .* at byte 10 of the line\)/);
    const c = await corpusError(() => loadPairs(`${dir}/c.jsonl`));
    assert.equal(c.line, 2);
    assert.match(c.message, /bytes e2 82 22 2c at byte 10/);
    const d = await corpusError(() => loadPairs(`${dir}/d`));
    assert.deepEqual([d.file, d.line], [`${dir}/d.en`, 3]);
    const e = await corpusError(() => loadPairs(`${dir}/e.tsv`));
    assert.deepEqual([e.line, e.message.includes("bytes ed a0 80 at byte 3")], [2, true], e.message);
  });
});

Deno.test("streaming: lines across chunk boundaries, a line longer than a chunk, multibyte characters", async () => {
  const expected: [string, string][] = [];
  for (let i = 0; i < 40_000; i++) {
    expected.push([`sentence ${i} ${"è".repeat(i % 17)}`, `frase ${i} ${"€".repeat(i % 5)}`]);
  }
  expected.splice(20_000, 0, ["long " + "ü".repeat(1_500_000), "lunga"]);
  const text = expected.map(([en, it]) => JSON.stringify({ en, it })).join("\r\n");
  await withFiles({ "big.jsonl": text }, async (dir) => {
    const stats = corpusStats();
    let batches = 0;
    const got: [string, string][] = [];
    for await (const batch of readPairBatches(`${dir}/big.jsonl`, { stats })) {
      batches++;
      for (const p of batch) got.push([p.src, p.tgt]);
    }
    assert.ok(batches > 2, `read in ${batches} chunks`);
    assert.equal(got.length, expected.length);
    assert.deepEqual(got, expected.map(([en, it]) => [en.trim(), it.trim()]));
    assert.deepEqual(stats, { pairs: expected.length, skipped: { empty: 0 } });
  });
});

Deno.test("readPairs: streams with running counts and closes the file when left early", async () => {
  await withFiles(
    { "c.tsv": "a\tb\nc\t\ne\tf\ng\th\n", "m.en": "1\n2\n3\n", "m.it": "uno\ndue\ntre\n" },
    async (dir) => {
      const stats = corpusStats();
      const seen: SentencePair[] = [];
      for await (const pair of readPairs(`${dir}/c.tsv`, { stats })) {
        seen.push(pair);
        if (seen.length === 2) break; // the test's resource sanitizer fails if the file stays open
      }
      assert.deepEqual(seen, pairs(["a", "b"], ["e", "f"]));
      assert.deepEqual(stats.skipped, { empty: 1 });
      for await (const pair of readPairs(`${dir}/m`)) {
        assert.deepEqual(pair, { src: "1", tgt: "uno" });
        break;
      }
    },
  );
});

Deno.test("parquet: opus_books' translation struct, flat columns, row groups, reversal", async () => {
  const rows = [
    { en: "Hi.", it: "Ciao!" },
    { en: " Run! ", it: "Corri!" },
    { en: "Empty", it: "" },
    { en: "Who?", it: "Chi?" },
    { en: "Wow!", it: "Wow!" },
  ];
  await withFiles({
    "books.parquet": opusBooksParquet(rows, { rowGroupSize: 2 }),
    "flat.parquet": flatParquet({ id: ["1", "2"], it: ["Ciao!", "Vai."], en: ["Hi.", "Go."] }),
  }, async (dir) => {
    const c = await loadPairs(`${dir}/books.parquet`);
    assert.equal(c.format, "parquet");
    assert.deepEqual(c.pairs, pairs(["Hi.", "Ciao!"], ["Run!", "Corri!"], ["Who?", "Chi?"], ["Wow!", "Wow!"]));
    assert.deepEqual(c.skipped, { empty: 1 });
    const reversed: SentencePair[] = [];
    for await (const p of readParquetPairs(`${dir}/books.parquet`, { src: "it", tgt: "en" })) reversed.push(p);
    assert.deepEqual(reversed, c.pairs.map(({ src, tgt }) => ({ src: tgt, tgt: src })));
    assert.deepEqual((await loadPairs(`${dir}/flat.parquet`)).pairs, pairs(["Hi.", "Ciao!"], ["Go.", "Vai."]));
  });
});

Deno.test("parquet: missing columns, null and invalid cells, and non-parquet files name the file and row", async () => {
  await withFiles({
    "nulls.parquet": opusBooksParquet([{ en: "a", it: "b" }, { en: "c", it: "d" }, null], { rowGroupSize: 2 }),
    "nullcell.parquet": opusBooksParquet([{ en: "a", it: null }]),
    "bad.parquet": opusBooksParquet([{ en: "a", it: "b" }, { en: new Uint8Array([0x61, 0xff]), it: "b" }]),
    "de.parquet": opusBooksParquet([{ en: "a", de: "b" }], { langs: ["en", "de"] }),
    "cols.parquet": flatParquet({ english: ["a"], it: ["b"] }),
    "fake.parquet": "not parquet at all\n",
  }, async (dir) => {
    const check = async (name: string, line: number | undefined, expected: RegExp) => {
      const e = await corpusError(() => loadPairs(`${dir}/${name}`));
      assert.equal(e.file, `${dir}/${name}`);
      assert.equal(e.line, line, e.message);
      assert.match(e.message, expected);
    };
    await check("nulls.parquet", 3, /nulls\.parquet: row 3: "translation" is null, not an object/);
    await check("nullcell.parquet", 1, /row 1: "translation\.it" is null, not a string/);
    await check("bad.parquet", 2, /row 2: "translation\.en" is not valid UTF-8/);
    await check("de.parquet", 1, /row 1: "translation" has no "it" \(its keys: "en", "de"\)/);
    await check(
      "cols.parquet",
      undefined,
      /needs a "translation" column or columns "en" and "it" \(columns: english, it\)/,
    );
    await check("fake.parquet", undefined, /fake\.parquet: is not a readable parquet file/);
  });
});

Deno.test({
  name: "tatoeba: the shared 347,455-pair JSONL file",
  ignore: !hasTatoeba,
  async fn() {
    const t0 = performance.now();
    const c = await loadPairs(TATOEBA);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`loadPairs(tatoeba-en-it.jsonl): ${c.pairs.length} pairs in ${seconds.toFixed(2)} s`);
    assert.equal(c.pairs.length, 347_455);
    assert.deepEqual(c.skipped, { empty: 0 });
    assert.deepEqual(c.pairs[0], { src: "Hi.", tgt: "Ciao!" });
    const reversed = await loadPairs(TATOEBA, { src: "it", tgt: "en" });
    assert.deepEqual(reversed.pairs[0], { src: "Ciao!", tgt: "Hi." });
    assert.equal(reversed.pairs.length, 347_455);
  },
});
