/**
 * Greedy decoding of 100 Tatoeba sentences, side by side with the PyTorch reference's `greedy`
 * (which recomputes the whole target prefix at every step, one sentence at a time), on the same
 * weights: a trained model folder given with `--model DIR` (e.g. a training run), or else one the
 * reference writes itself (random weights, cpu-small's size; no sentence then stops early, which is
 * the full 20-id length for both). Beam search (4 hypotheses) throughput is reported beside it.
 * Target: at least 4× faster, identical output.
 */
import { free, setThreads, threads } from "../../mod.ts";
import { loadModelFolder } from "../../nmt/io/folder.ts";
import { translate } from "../../nmt/decode/translate.ts";
import { repeatShots, timed } from "./harness.ts";
import { python, REFERENCE, referenceMissing, ROOT, skipped } from "./reference.ts";
import { TATOEBA_PATH } from "./data.ts";
import type { MacroContext, MacroFigure, MacroGroup, MacroOutcome, Verdict } from "./types.ts";

const SENTENCES = `${ROOT}/tests/fixtures/sentences_en_it.jsonl`;
const MAX_LEN = 20;
const COUNT = 100;
const SIZE = ["--d-model", "256", "--layers", "3", "--heads", "4", "--d-ff", "1024", "--seq-len", "64"];
const BEAM = 4;
const TARGET =
  "greedy decoding of 100 sentences (deno task translate's batched default) at least 4× faster than the reference, identical output";

/** 100 English sentences spread evenly over Tatoeba (the fixture sentences where it is absent). */
function benchSentences(): { sentences: string[]; source: string } {
  let path = TATOEBA_PATH;
  let lines: string[];
  try {
    lines = Deno.readTextFileSync(path).trim().split("\n");
  } catch {
    path = SENTENCES;
    lines = Deno.readTextFileSync(path).trim().split("\n");
  }
  const pool = lines.map((l) => JSON.parse(l).en as string);
  const sentences = Array.from(
    { length: COUNT },
    (_, i) => pool[Math.floor((i + 0.5) * pool.length / COUNT) % pool.length],
  );
  return { sentences, source: path };
}

/** Times the reference's own greedy() in-process (model loading excluded), returning its ids. */
const TIMER = `
import importlib.util, io, json, sys, time, contextlib, argparse, torch
spec = importlib.util.spec_from_file_location("ref", sys.argv[1]); ref = importlib.util.module_from_spec(spec); spec.loader.exec_module(ref)
torch.set_num_threads(int(sys.argv[3]))
sentences = json.load(open(sys.argv[4]))
ref.load_folder(sys.argv[2])  # warm the file cache; greedy() loads again, timed below with it
buf = io.StringIO()
t0 = time.perf_counter()
with contextlib.redirect_stdout(buf):
    ref.greedy(argparse.Namespace(dir=sys.argv[2], sentences=sentences, max_len=${MAX_LEN}))
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "ids": [r["ids"] for r in json.loads(buf.getvalue())]}))
`;

export const decodeGroup: MacroGroup = {
  kind: "macro",
  name: "decode",
  title: "Greedy decoding: 100 sentences, deno-torch (KV cache) vs the PyTorch reference (seconds)",
  description: "greedy translation of 100 sentences vs the reference's greedy (same weights, same threads)",

  async run(ctx: MacroContext): Promise<MacroOutcome> {
    const why = referenceMissing();
    if (why !== null) {
      ctx.log(`notice: group decode skipped: ${why}`);
      return skipped(TARGET, why);
    }
    const tmp = await Deno.makeTempDir({ prefix: "bench-decode-" });
    try {
      const dir = ctx.model ?? tmp;
      if (ctx.model === undefined) {
        python([REFERENCE, "make-folder", dir, "--seed", "3", "--sentences", SENTENCES, ...SIZE]);
      }
      const { sentences, source } = benchSentences();
      await Deno.writeTextFile(`${tmp}/sentences.json`, JSON.stringify(sentences));
      const n = threads();
      setThreads(n);
      const folder = loadModelFolder(dir);
      let same = true;
      const rows = await repeatShots(ctx.shots, async () => {
        const reference = JSON.parse(python(["-c", TIMER, REFERENCE, dir, String(n), `${tmp}/sentences.json`]));
        const single = await timed(() => translate(folder, sentences, { maxLen: MAX_LEN, batchSize: 1 }));
        const batched = await timed(() => translate(folder, sentences, { maxLen: MAX_LEN, batchSize: 32 }));
        const beam = await timed(() => translate(folder, sentences, { maxLen: MAX_LEN, batchSize: 32, beam: BEAM }));
        for (const run of [single.result, batched.result]) {
          same &&= run.every((r, i) => JSON.stringify(r.ids) === JSON.stringify(reference.ids[i]));
        }
        const figures: MacroFigure[] = [
          {
            id: "reference",
            label: "reference greedy (PyTorch, recomputes the prefix, 1 sentence at a time)",
            value: reference.seconds,
            unit: "s",
          },
          {
            id: "single",
            label: "deno-torch greedy, KV cache, 1 sentence at a time",
            value: single.seconds,
            unit: "s",
          },
          { id: "batched", label: "deno-torch greedy, KV cache, batches of 32", value: batched.seconds, unit: "s" },
          {
            id: "beam",
            label: `deno-torch beam search (${BEAM} hypotheses), batches of 32`,
            value: beam.seconds,
            unit: "s",
          },
          {
            id: "beam_sentences_per_s",
            label: `beam ${BEAM}: sentences per second`,
            value: COUNT / beam.seconds,
            unit: "count",
          },
          {
            id: "speedup_single",
            label: "speed-up, 1 sentence at a time",
            value: reference.seconds / single.seconds,
            unit: "count",
          },
          {
            id: "speedup_batched",
            label: "speed-up, batched",
            value: reference.seconds / batched.seconds,
            unit: "count",
          },
        ];
        ctx.log(
          `  reference ${reference.seconds.toFixed(2)} s, ours ${single.seconds.toFixed(2)} s (1 at a time), ${
            batched.seconds.toFixed(2)
          } s (batched), beam ${BEAM} ${beam.seconds.toFixed(2)} s`,
        );
        return figures;
      });
      free([folder.model.params, folder.model.buffers]);
      const speedup = rows.find((r) => r.id === "speedup_single")!.value;
      const batchedSpeedup = rows.find((r) => r.id === "speedup_batched")!.value;
      const verdict: Verdict = {
        target: TARGET,
        status: batchedSpeedup >= 4 && same ? "PASS" : "FAIL",
        detail: `${batchedSpeedup.toFixed(1)}× batched, ${speedup.toFixed(1)}× one sentence at a time; ` +
          `output ${same ? "identical" : "DIFFERENT"} on all ${COUNT} sentences; ${n} threads both sides`,
      };
      return {
        rows,
        verdicts: [verdict],
        notes: [
          ctx.model === undefined
            ? `Model: written by the reference's make-folder (${SIZE.join(" ")}), random weights; max_len ${MAX_LEN}.`
            : `Model: ${ctx.model} (--model); max_len ${MAX_LEN}.`,
          `Sentences: ${COUNT} English sentences spread evenly over ${source}.`,
          "The reference time is its greedy() in-process (model load included once, as in its command);",
          "ours excludes loading the folder. Speed-ups are printed as plain ratios.",
        ],
      };
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
};
