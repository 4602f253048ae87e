/**
 * `deno task eval --hyp FILE --ref FILE`: the text output (one sacreBLEU-style line per metric), the
 * JSON output, sentence mode, and exit status 2 with a clear message for bad flags and bad input.
 * Scoring files needs no native library, so this runs anywhere.
 */
import assert from "node:assert/strict";
import { denoTask } from "./helpers/deno.ts";
import { evaluate, evaluateSentences, resultJson } from "../nmt/metrics/evaluate.ts";
import { METRICS_VERSION } from "../nmt/metrics/signature.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const evalTask = (...args: string[]): Promise<Run> => denoTask("eval", args);

const HYPS = ["the cat sat on the mat", "Il «gatto» è (sul) tappeto!", "ciao"];
const REF1 = ["on the mat the cat sat", "Il gatto è sul tappeto.", "ciao ciao"];
const REF2 = ["the cat is on the mat", "il gatto è sul tappeto", "salve"];

async function files(): Promise<{ dir: string; hyp: string; ref1: string; ref2: string; short: string }> {
  const dir = await Deno.makeTempDir({ prefix: "eval_cli_" });
  const write = async (name: string, lines: string[]) => {
    await Deno.writeTextFile(`${dir}/${name}`, lines.join("\n") + "\n");
    return `${dir}/${name}`;
  };
  return {
    dir,
    hyp: await write("hyp.it", HYPS),
    ref1: await write("ref1.it", REF1),
    ref2: await write("ref2.it", REF2),
    short: await write("short.it", REF1.slice(0, 2)),
  };
}

Deno.test("eval CLI: text, JSON and sentence output for --hyp/--ref", async () => {
  const f = await files();
  try {
    const text = await evalTask("--hyp", f.hyp, "--ref", f.ref1);
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trimEnd().split("\n");
    const v = `version:${METRICS_VERSION}`;
    const prefixes = [
      `BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|${v} = `,
      `chrF2|nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|${v} = `,
      `chrF2++|nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|${v} = `,
      `TER|nrefs:1|case:lc|tok:tercom|norm:no|punct:yes|asian:no|${v} = `,
      `CER|nrefs:1|case:mixed|tok:chars|${v} = `,
      `WER|nrefs:1|case:mixed|tok:words|${v} = `,
    ];
    assert.equal(lines.length, prefixes.length + 1, text.stdout);
    prefixes.forEach((p, k) => assert.ok(lines[k].startsWith(p), `${lines[k]}\nshould start with ${p}`));
    assert.match(
      lines[0],
      / = \d+\.\d\d [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ \(BP = [\d.]+ ratio = [\d.]+ hyp_len = \d+ ref_len = \d+\)$/,
    );
    assert.equal(lines[6], "3 sentences, 3 references");

    // JSON: one object per metric, the numbers the library gives, in full precision.
    const json = await evalTask("--hyp", f.hyp, "--ref", f.ref1, "--ref", f.ref2, "--json", "--tokenize", "intl");
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout);
    const refs = HYPS.map((_, i) => [REF1[i], REF2[i]]);
    const want = evaluate(HYPS, refs, { tokenize: "intl" });
    assert.deepEqual(Object.keys(out), ["sentences", "references", "bleu", "chrf", "chrf++", "ter", "cer", "wer"]);
    assert.equal(out.references, 6);
    for (const r of want) assert.deepEqual(out[r.metric], resultJson(r));
    for (const key of ["score", "counts", "totals", "precisions", "bp", "sys_len", "ref_len"]) {
      assert.ok(key in out.bleu);
    }
    assert.match(out.bleu.signature, /^nrefs:2\|case:mixed\|eff:no\|tok:intl\|/);

    // --metrics picks and orders by the fixed order; --lowercase shows in the signatures.
    const some = await evalTask("--hyp", f.hyp, "--ref", f.ref1, "--metrics", "wer,ter", "--lowercase");
    assert.equal(some.code, 0, some.stderr);
    const someLines = some.stdout.trimEnd().split("\n");
    assert.equal(someLines.length, 3);
    assert.ok(someLines[0].startsWith("TER|"));
    assert.ok(someLines[1].startsWith(`WER|nrefs:1|case:lc|tok:words|${v} = `));

    // --sentence: one sentence_bleu line per hypothesis, effective order in the signature.
    const sent = await evalTask("--hyp", f.hyp, "--ref", f.ref1, "--sentence", "--json");
    assert.equal(sent.code, 0, sent.stderr);
    const sentences: Record<string, unknown>[] = JSON.parse(sent.stdout).sentence_bleu;
    assert.deepEqual(sentences, evaluateSentences(HYPS, REF1.map((r) => [r])).map(resultJson));
    assert.match(sentences[0].signature as string, /\|eff:yes\|/);
    const sentText = await evalTask("--hyp", f.hyp, "--ref", f.ref1, "--sentence");
    assert.equal(sentText.stdout.trimEnd().split("\n").length, HYPS.length);
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});

Deno.test("eval CLI: bad flags and bad input exit 2 with a clear message", async () => {
  const f = await files();
  const empty = `${f.dir}/empty.it`;
  await Deno.writeTextFile(empty, "");
  const cases: [string[], RegExp][] = [
    [["--hyp", f.hyp, "--ref", f.ref1, "--bogus"], /Unknown option '--bogus'/],
    [
      ["--hyp", f.hyp, "--ref", f.ref1, "--metrics", "bleu,meteor"],
      /--metrics: unknown metric "meteor" \(choose from bleu, chrf, chrf\+\+, ter, cer, wer\)/,
    ],
    [
      ["--hyp", f.hyp, "--ref", f.ref1, "--tokenize", "spm"],
      /--tokenize: unknown tokenizer "spm" \(choose from 13a, intl, none\)/,
    ],
    [["--hyp", f.hyp, "--ref", f.ref1, "--sentence", "--metrics", "ter"], /--sentence prints sentence-level BLEU/],
    [["--hyp", f.hyp], /--hyp needs at least one --ref/],
    [["--hyp", f.hyp, "--ref", f.short], /short\.it has 2 lines, .*hyp\.it has 3/],
    [["--hyp", f.hyp, "--ref", `${f.dir}/missing.it`], /cannot read .*missing\.it/],
    [["--hyp", empty, "--ref", empty], /there are no hypotheses to score/],
    [[], /give --hyp FILE --ref FILE, or --model DIR/],
  ];
  try {
    for (const [args, message] of cases) {
      const r = await evalTask(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
      assert.match(r.stderr, /^eval: /);
      assert.equal(r.stdout, "");
    }
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});

Deno.test("eval CLI: --model translates the splitKey (beam or greedy) and scores against all its references", async () => {
  const { loadModelFolder } = await import("../nmt/io/folder.ts");
  const { translate } = await import("../nmt/decode/translate.ts");
  const { loadPairs } = await import("../nmt/data/corpus.ts");
  const { splitBySource } = await import("../nmt/data/split.ts");
  const model = `${ROOT}tests/fixtures/parity/small`;
  const data = `${ROOT}tests/fixtures/sentences_en_it.jsonl`;
  const dir = await Deno.makeTempDir({ prefix: "eval_model_" });
  try {
    const { pairs } = await loadPairs(data, { src: "en", tgt: "it" });
    const test = splitBySource(pairs, { valid: 5, test: 8, seed: 3 }).test;
    const sources = [...new Set(test.map((p) => p.src))];
    const refs = sources.map((s) => test.filter((p) => p.src === s).map((p) => p.tgt));
    const folder = loadModelFolder(model);
    for (const beam of [1, 3]) {
      const out = `${dir}/hyp${beam}.it`;
      const r = await evalTask(
        ...["--model", model, "--data", data, "--seed", "3", "--valid-size", "5", "--test-size", "8"],
        ...["--beam", String(beam), "--out", out, "--json", "--metrics", "bleu,chrf"],
      );
      assert.equal(r.code, 0, r.stderr);
      const expected = (await translate(folder, sources, { beam })).map((t) => t.text);
      const hyps = (await Deno.readTextFile(out)).split("\n").slice(0, -1);
      assert.deepEqual(hyps, expected, `beam ${beam}`);
      const json = JSON.parse(r.stdout);
      assert.equal(json.decoding, beam === 1 ? "greedy" : 'beam 3, length penalty {"kind":"gnmt","alpha":0.6}');
      const [bleu, chrf] = evaluate(expected, refs, { metrics: ["bleu", "chrf"] });
      assert.equal(json.bleu.score, bleu.score);
      assert.equal(json.chrf.score, chrf.score);
      assert.equal(json.sentences, sources.length);
    }
    for (
      const [flags, message] of [
        [["--beam", "0"], /--beam needs a positive integer, got "0"/],
        [["--beam", "2", "--length-penalty", "huge"], /--length-penalty must be none, average or gnmt:ALPHA/],
      ] as [string[], RegExp][]
    ) {
      const r = await evalTask("--model", model, "--data", data, ...flags);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
