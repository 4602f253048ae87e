/** Decoding: beam search semantics, the translate CLI's inputs and outputs, attention maps. */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import { free, memory, scope } from "../mod.ts";
import { padBatch, transformer } from "../nmt/mod.ts";
import { loadModelFolder } from "../nmt/io/folder.ts";
import { beamSearch, penalized } from "../nmt/decode/beam.ts";
import { parseLengthPenalty } from "../nmt/decode/parse_length_penalty.ts";
import { greedyDecode } from "../nmt/decode/greedy.ts";
import { resolveMaxLen, sourceIds, translate } from "../nmt/decode/translate.ts";
import { FIXTURES, ROOT } from "./helpers/reference.ts";

const SMALL = `${FIXTURES}/parity/small`;
const expected = JSON.parse(Deno.readTextFileSync(`${SMALL}/expected.json`));
const sentences: string[] = expected.greedy.map((g: { source: string }) => g.source);

Deno.test("beam search: beam 1 is greedy exactly; wider beams rank finished hypotheses by score", async () => {
  const folder = loadModelFolder(SMALL);
  try {
    const ids = await Promise.all(sentences.map(async (s) => (await sourceIds(folder, s)).ids));
    const before = memory().tensors;
    scope(() => {
      const src = padBatch<"src">(ids, 1);
      const mask = transformer.paddingMask(src, 1);
      const opts = { maxLen: 20, sos: 2, eos: 3 };
      const greedy = greedyDecode(folder.model, src, mask, opts);
      const one = beamSearch(folder.model, src, mask, { ...opts, beam: 1 });
      assert.deepEqual(one.map((h) => h[0].ids), greedy, "beam 1 = greedy on all 30 sentences");
      assert.deepEqual(greedy, expected.greedy.map((g: { ids: number[] }) => g.ids), "and both equal the reference");
      const wide = beamSearch(folder.model, src, mask, {
        ...opts,
        beam: 4,
        nbest: 3,
        lengthPenalty: { kind: "gnmt", alpha: 0.6 },
      });
      for (const hyps of wide) {
        assert.equal(hyps.length, 3);
        for (let i = 1; i < hyps.length; i++) assert.ok(hyps[i - 1].score >= hyps[i].score, "best first");
        for (const h of hyps) {
          assert.equal(h.ids[0], 2);
          const eosAt = h.ids.indexOf(3);
          assert.ok(eosAt === -1 || eosAt === h.ids.length - 1, "finished hypotheses are not extended past [EOS]");
          assert.ok(h.ids.length <= 20);
          assert.ok(Math.abs(h.score - penalized(h.logProb, h.ids.length - 1, { kind: "gnmt", alpha: 0.6 })) < 1e-9);
        }
      }
    });
    assert.equal(memory().tensors, before, "decoding leaks nothing");
    assert.throws(
      () =>
        scope(() =>
          beamSearch(
            folder.model,
            padBatch<"src">([[2, 3]], 1),
            transformer.paddingMask(padBatch<"src">([[2, 3]], 1), 1),
            { beam: 2, nbest: 3, maxLen: 5, sos: 2, eos: 3 },
          )
        ),
      /nbest must be in \[1, 2\]/,
    );
  } finally {
    free([folder.model.params, folder.model.buffers]);
  }
});

Deno.test("beam search: each sentence of a batch gets the hypotheses it gets decoded alone", async () => {
  const folder = loadModelFolder(SMALL);
  try {
    const ids = await Promise.all(sentences.slice(0, 8).map(async (s) => (await sourceIds(folder, s)).ids));
    const opts = { maxLen: 12, sos: 2, eos: 3, beam: 3, nbest: 3, lengthPenalty: { kind: "average" } } as const;
    const search = (batch: number[][]) =>
      scope(() => {
        const src = padBatch<"src">(batch, 1);
        return beamSearch(folder.model, src, transformer.paddingMask(src, 1), opts);
      });
    const together = search(ids);
    ids.forEach((sentence, i) => {
      const [alone] = search([sentence]);
      assert.deepEqual(together[i].map((h) => h.ids), alone.map((h) => h.ids), `sentence ${i}: same hypotheses`);
      together[i].forEach((h, k) => assert.ok(Math.abs(h.score - alone[k].score) < 1e-4, `sentence ${i}: same scores`));
    });
  } finally {
    free([folder.model.params, folder.model.buffers]);
  }
});

Deno.test("beam search: sentences that finish early leave the batch, with the same results and nothing leaked", async () => {
  const folder = loadModelFolder(SMALL);
  try {
    const ids = await Promise.all(sentences.slice(0, 12).map(async (s) => (await sourceIds(folder, s)).ids));
    const decode = (batch: number[][], eos: number, beam: number) =>
      scope(() => {
        const src = padBatch<"src">(batch, 1);
        return beamSearch(folder.model, src, transformer.paddingMask(src, 1), { maxLen: 20, sos: 2, eos, beam });
      });
    // This model rarely emits [EOS] within 20 ids; a token it does emit stands in for it, so that the
    // sentences end at different steps and the batch shrinks as they do.
    const plain = decode(ids, 3, 1).map((h) => h[0].ids);
    const endsWith = (t: number) => plain.map((o) => o.indexOf(t, 1)).filter((at) => at > 0);
    const spread = (t: number) => endsWith(t).length < plain.length ? new Set(endsWith(t)).size : 0;
    const stop = [...new Set(plain.flat())].filter((t) => t !== 2).sort((a, b) => spread(b) - spread(a) || a - b)[0];
    const ends = endsWith(stop);
    assert.ok(new Set(ends).size >= 3 && ends.length < plain.length, `ends at ${ends}: varied, and not everywhere`);
    for (const beam of [1, 3]) {
      const before = memory().tensors;
      const together = decode(ids, stop, beam);
      assert.equal(memory().tensors, before, `beam ${beam}: nothing leaked`);
      ids.forEach((sentence, i) => {
        const [alone] = decode([sentence], stop, beam);
        assert.deepEqual(together[i][0].ids, alone[0].ids, `beam ${beam}, sentence ${i}: what it gets alone`);
      });
    }
  } finally {
    free([folder.model.params, folder.model.buffers]);
  }
});

Deno.test("parseLengthPenalty: the spellings, the defaults by beam, and errors naming the field", () => {
  assert.deepEqual(parseLengthPenalty(undefined, 1), { kind: "none" });
  assert.deepEqual(parseLengthPenalty(undefined, 4), { kind: "gnmt", alpha: 0.6 });
  assert.deepEqual(parseLengthPenalty("none", 4), { kind: "none" });
  assert.deepEqual(parseLengthPenalty("average", 1), { kind: "average" });
  assert.deepEqual(parseLengthPenalty("gnmt:1.25", 2), { kind: "gnmt", alpha: 1.25 });
  assert.throws(
    () => parseLengthPenalty("gnmt:-1", 2),
    new RangeError('--length-penalty must be none, average or gnmt:ALPHA, got "gnmt:-1"'),
  );
  assert.throws(
    () => parseLengthPenalty("huge", 2, '"lengthPenalty"'),
    new RangeError('"lengthPenalty" must be none, average or gnmt:ALPHA, got "huge"'),
  );
});

Deno.test("length penalties and relative max lengths follow their definitions", () => {
  assert.equal(penalized(-6, 3, { kind: "none" }), -6);
  assert.equal(penalized(-6, 3, { kind: "average" }), -2);
  assert.ok(Math.abs(penalized(-6, 3, { kind: "gnmt", alpha: 1 }) - -6 / (8 / 6)) < 1e-12);
  assert.equal(resolveMaxLen(25, 100), 25);
  assert.equal(resolveMaxLen({ scale: 2, offset: 5 }, 4), 13);
});

Deno.test("translate: results come back in input order whatever the batching, with attention rows summing to 1", async () => {
  const folder = loadModelFolder(SMALL);
  try {
    const one = await translate(folder, sentences.slice(0, 10), { maxLen: 20, batchSize: 1 });
    const sorted = await translate(folder, sentences.slice(0, 10), { maxLen: 20, batchSize: 4, attention: true });
    assert.deepEqual(sorted.map((r) => r.source), sentences.slice(0, 10));
    assert.deepEqual(sorted.map((r) => r.ids), one.map((r) => r.ids));
    // A token budget cuts batches by padded source tokens; the outputs stay the same.
    const budget = await translate(folder, sentences.slice(0, 10), { maxLen: 20, batchSize: 10, maxTokens: 12 });
    assert.deepEqual(budget.map((r) => r.ids), one.map((r) => r.ids));
    for (const bad of [0, 1.5, NaN]) {
      await assert.rejects(
        translate(folder, sentences.slice(0, 2), { maxTokens: bad }),
        new RegExp(`translate: maxTokens must be a positive integer, got ${bad}`),
      );
    }
    const maps = sorted[0].attention!;
    assert.equal(maps.length, folder.model.config.layers);
    assert.equal(maps[0].length, folder.model.config.heads);
    assert.equal(maps[0][0].length, sorted[0].ids.length - 1, "one row per produced token");
    for (const row of maps[0][0]) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  } finally {
    free([folder.model.params, folder.model.buffers]);
  }
});

async function cli(args: string[], stdin?: string): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "translate", ...args],
    cwd: ROOT,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const { code, stdout, stderr } = await child.output();
  return { code, out: new TextDecoder().decode(stdout), err: new TextDecoder().decode(stderr) };
}

Deno.test("translate CLI: stdin, --file, --json, --nbest, --attention and argument errors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "translate-" });
  try {
    const three = sentences.slice(0, 3);
    const want = expected.greedy.slice(0, 3).map((g: { tokens: string[] }) => g.tokens.join(" "));
    const piped = await cli(["--model", SMALL, "--max-len", "20", "--tokens"], three.join("\n") + "\n");
    assert.equal(piped.code, 0, piped.err);
    assert.deepEqual(piped.out.trim().split("\n"), want);
    const blank = await cli(["--model", SMALL, "--max-len", "20", "--tokens"], `${three[0]}\n\n${three[1]}\n`);
    assert.deepEqual(blank.out.split("\n").slice(0, 3), [want[0], "", want[1]], "a blank line stays a blank line");
    await Deno.writeTextFile(`${dir}/in.txt`, three.join("\n"));
    const fromFile = await cli(["--model", SMALL, "--max-len", "20", "--tokens", "--file", `${dir}/in.txt`]);
    assert.deepEqual(fromFile.out.trim().split("\n"), want);
    const unpacked = await cli([
      "--model",
      SMALL,
      "--max-len",
      "20",
      "--tokens",
      "--no-pack",
      "--file",
      `${dir}/in.txt`,
    ]);
    assert.deepEqual(unpacked.out.trim().split("\n"), want, "--no-pack: ATen's linear, the same translations");
    const json = await cli(["--model", SMALL, "--json", "--beam", "3", "--nbest", "2", three[0]]);
    const [row] = JSON.parse(json.out);
    assert.equal(row.source, three[0]);
    assert.equal(row.alternatives.length, 1);
    assert.ok(typeof row.score === "number" && typeof row.text === "string");
    const att = await cli(["--model", SMALL, "--attention", `${dir}/a.html`, three[0]]);
    assert.equal(att.code, 0, att.err);
    assert.match(await Deno.readTextFile(`${dir}/a.html`), /<select id="pick">.*layer 1, head 1/s);
    for (
      const [args, pattern] of [
        [["--model", SMALL, "--beam", "0", "x"], /--beam must be a positive integer/],
        [["--model", SMALL, "--beam", "2", "--nbest", "3", "x"], /--nbest 3 needs --beam of at least 3/],
        [["--model", SMALL, "--length-penalty", "huge", "x"], /--length-penalty must be none, average or gnmt:ALPHA/],
        [["--model", SMALL, "--file", `${dir}/missing.txt`], /cannot read --file/],
      ] as [string[], RegExp][]
    ) {
      const r = await cli(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.err, pattern);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
