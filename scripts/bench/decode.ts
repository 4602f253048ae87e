/**
 * Decoding against `decode_ref.py`, what a PyTorch user writes to translate fast on a CPU: the
 * reference model's modules and weights, sentences sorted by length in batches of 32 (beam search
 * one sentence at a time), a self-attention KV cache with cross-attention keys and values computed
 * once, inference_mode, sleeping OpenMP workers, optionally int8 dynamic quantization of every
 * Linear. Both sides decode the same model folder (`--model DIR`, e.g. a training run; else one the
 * reference writes, random weights at cpu-small's size) and the same sentences (2,000 spread over
 * Tatoeba, 500 for beam search), with the model's own length limit, in whole processes' threads.
 * Each side's time covers tokenizing, encoding and decoding, not loading the model; tokens/s counts
 * the output ids after [SOS] that are not [EOS], as decode_ref.py counts them.
 * Our side decodes in its own default batches (translate's), theirs in its default 32.
 * Targets (issue 18): greedy f32 at least 1.5x decode_ref.py's target tokens/s with identical output;
 * greedy int8 at least 3x decode_ref.py f32 and 1.5x decode_ref.py --int8; beam 4 at least 2x
 * decode_ref.py --beam 4. With a training run as --model, BLEU on its held-out test split (deno task
 * eval) compares int8 with f32, greedy and beam.
 */
import { free, setThreads, threads } from "../../mod.ts";
import { loadModelFolder } from "../../nmt/io/folder.ts";
import { translate } from "../../nmt/decode/translate.ts";
import { repeatShots, timed } from "./harness.ts";
import type { ModelFolder } from "../../nmt/io/folder.ts";
import { PYTHON, python, REFERENCE, referenceMissing, ROOT, skipped } from "./reference.ts";
import { TATOEBA_PATH } from "./data.ts";
import type { MacroContext, MacroFigure, MacroGroup, MacroOutcome, Verdict } from "./types.ts";

const SENTENCES = `${ROOT}/tests/fixtures/sentences_en_it.jsonl`;
const DECODE_REF = `${ROOT}/../shared/reference/decode_ref.py`;
const COUNT = 2000;
const BEAM_COUNT = 500;
const SIZE = ["--d-model", "256", "--layers", "3", "--heads", "4", "--d-ff", "1024", "--seq-len", "64"];
const BEAM = 4;
const TARGET_GREEDY = "greedy f32 at least 1.5x decode_ref.py's target tokens/s, identical output";
const TARGET_INT8 = "greedy int8 at least 3x decode_ref.py f32 and 1.5x decode_ref.py --int8 (target tokens/s)";
const TARGET_BEAM = `beam ${BEAM} at least 2x decode_ref.py --beam ${BEAM}'s target tokens/s`;
const TARGET_BLEU = "int8 BLEU within 0.5 of f32, greedy and beam";
const TARGET_RSS = "peak RSS of translate on the sentences at most decode_ref.py's";
const GNMT = { kind: "gnmt", alpha: 0.6 } as const; // decode_ref.py --beam's length penalty

// Runs a command with its output discarded and prints its peak resident memory in kB: the ru_maxrss
// of that child alone (os.wait4). This wrapper imports nothing heavy, so the fork's pre-exec
// memory, which Linux carries into ru_maxrss, is far below either side's.
const PEAK_RSS = [
  "import os, subprocess, sys",
  "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)",
  "_, status, usage = os.wait4(p.pid, 0)",
  "if status != 0: sys.exit('exit status %d' % status)",
  "print(usage.ru_maxrss)",
].join("\n");

/** Peak RSS (MiB) of the whole process `cmd`. */
function peakRssMb(cmd: string[]): number {
  return Number(python(["-c", PEAK_RSS, ...cmd])) / 1024;
}

/** `count` English sentences spread evenly over Tatoeba (the fixture sentences where it is absent). */
export function benchSentences(count: number): { sentences: string[]; source: string } {
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
    { length: count },
    (_, i) => pool[Math.floor((i + 0.5) * pool.length / count) % pool.length],
  );
  return { sentences, source: path };
}

/** What decode_ref.py --json prints. */
interface ReferenceRun {
  seconds: number;
  target_tokens: number;
  outputs: number[][];
}

/** decode_ref.py on `dir` and the sentences in `file`, with `flags`. */
function referenceDecode(dir: string, file: string, n: number, flags: string[]): ReferenceRun {
  return JSON.parse(python([DECODE_REF, dir, "--file", file, "--threads", String(n), "--json", ...flags]));
}

/** Target tokens as decode_ref.py counts them: the ids after [SOS] that are not [EOS]. */
function targetTokens(outputs: number[][], eos: number): number {
  return outputs.reduce((n, ids) => n + ids.slice(1).filter((t) => t !== eos).length, 0);
}

/**
 * BLEU on the run's held-out test split, as `deno task eval` scores it; null when `dir` is not a
 * training run (eval re-derives the split from its checkpoints' options).
 */
function heldOutBleu(dir: string, flags: string[]): number | null {
  try {
    Deno.statSync(`${dir}/checkpoints`);
  } catch {
    return null;
  }
  const args = ["run", "-A", `${ROOT}/scripts/eval.ts`, "--model", dir, "--metrics", "bleu", "--json", ...flags];
  const { code, stdout, stderr } = new Deno.Command(Deno.execPath(), { args, cwd: ROOT }).outputSync();
  if (code !== 0) throw new Error(`eval ${flags.join(" ")} failed: ${new TextDecoder().decode(stderr)}`);
  return JSON.parse(new TextDecoder().decode(stdout)).bleu.score;
}

/** A figure row; `id` names it in the JSON output. */
const row = (id: string, label: string, value: number, unit: MacroFigure["unit"] = "count"): MacroFigure => ({
  id,
  label,
  value,
  unit,
});

export const decodeGroup: MacroGroup = {
  kind: "macro",
  name: "decode",
  title: "Decoding: deno-torch vs decode_ref.py (batched, KV cache; f32, int8 and beam 4 on both sides)",
  description: "greedy f32, greedy int8 and beam 4 vs decode_ref.py on the same model folder and sentences",

  async run(ctx: MacroContext): Promise<MacroOutcome> {
    const why = referenceMissing();
    if (why !== null) {
      ctx.log(`notice: group decode skipped: ${why}`);
      return skipped(TARGET_GREEDY, why);
    }
    const tmp = await Deno.makeTempDir({ prefix: "bench-decode-" });
    const folders: ModelFolder[] = [];
    try {
      const dir = ctx.model ?? tmp;
      if (ctx.model === undefined) {
        python([REFERENCE, "make-folder", dir, "--seed", "3", "--sentences", SENTENCES, ...SIZE]);
      }
      const { sentences, source } = benchSentences(COUNT);
      const beamSentences = sentences.filter((_, i) => i % (COUNT / BEAM_COUNT) === 0);
      await Deno.writeTextFile(`${tmp}/sentences.txt`, sentences.join("\n") + "\n");
      await Deno.writeTextFile(`${tmp}/beam.txt`, beamSentences.join("\n") + "\n");
      const n = threads();
      setThreads(n);
      const f32 = loadModelFolder(dir, { pack: true }); // as translate, eval and serve load it
      const int8 = loadModelFolder(dir, { int8: true });
      folders.push(f32, int8);
      // int8 with the folder's vocabulary shortlist (deno task shortlist), where it has one.
      let shortlisted: ModelFolder | null = null;
      try {
        shortlisted = loadModelFolder(dir, { int8: true, shortlist: true });
        folders.push(shortlisted);
      } catch { /* no shortlist.safetensors: those rows are left out */ }
      const eos = f32.tgtTokenizer.special.eos;
      const tokensPerSecond = (outputs: number[][], seconds: number) => targetTokens(outputs, eos) / seconds;
      let same = true;
      let beamSame = 0; // of the last run: beam outputs identical to decode_ref.py --beam's
      const rows = await repeatShots(ctx.shots, async () => {
        const refGreedy = referenceDecode(dir, `${tmp}/sentences.txt`, n, []);
        const refInt8 = referenceDecode(dir, `${tmp}/sentences.txt`, n, ["--int8"]);
        const refBeam = referenceDecode(dir, `${tmp}/beam.txt`, n, ["--beam", String(BEAM)]);
        const greedy = await timed(() => translate(f32, sentences));
        const greedyInt8 = await timed(() => translate(int8, sentences));
        const beam = await timed(() => translate(f32, beamSentences, { beam: BEAM, lengthPenalty: GNMT }));
        const listed = shortlisted && await timed(() => translate(shortlisted, sentences));
        same &&= greedy.result.every((r, i) => JSON.stringify(r.ids) === JSON.stringify(refGreedy.outputs[i]));
        beamSame = beam.result.filter((r, i) => JSON.stringify(r.ids) === JSON.stringify(refBeam.outputs[i])).length;
        const ours = {
          greedy: tokensPerSecond(greedy.result.map((r) => r.ids), greedy.seconds),
          int8: tokensPerSecond(greedyInt8.result.map((r) => r.ids), greedyInt8.seconds),
          beam: tokensPerSecond(beam.result.map((r) => r.ids), beam.seconds),
        };
        const theirs = {
          greedy: refGreedy.target_tokens / refGreedy.seconds,
          int8: refInt8.target_tokens / refInt8.seconds,
          beam: refBeam.target_tokens / refBeam.seconds,
        };
        ctx.log(
          `  greedy f32: ref ${refGreedy.seconds.toFixed(2)} s, ours ${greedy.seconds.toFixed(2)} s; int8: ref ${
            refInt8.seconds.toFixed(2)
          } s, ours ${greedyInt8.seconds.toFixed(2)} s; beam ${BEAM}: ref ${refBeam.seconds.toFixed(2)} s, ours ${
            beam.seconds.toFixed(2)
          } s`,
        );
        const shortlistRows = listed === null ? [] : [
          row("ours_int8_shortlist_s", "deno-torch greedy int8 + shortlist (s)", listed.seconds, "s"),
          row(
            "ratio_int8_shortlist_f32",
            "greedy: ours int8 + shortlist / decode_ref.py f32",
            tokensPerSecond(listed.result.map((r) => r.ids), listed.seconds) / theirs.greedy,
          ),
        ];
        return [
          ...shortlistRows,
          row("ref_greedy_s", "decode_ref.py greedy f32 (s)", refGreedy.seconds, "s"),
          row("ours_greedy_s", "deno-torch greedy f32 (s)", greedy.seconds, "s"),
          row("ref_int8_s", "decode_ref.py greedy int8 (s)", refInt8.seconds, "s"),
          row("ours_int8_s", "deno-torch greedy int8 (s)", greedyInt8.seconds, "s"),
          row("ref_beam_s", `decode_ref.py beam ${BEAM} (s)`, refBeam.seconds, "s"),
          row("ours_beam_s", `deno-torch beam ${BEAM} (s)`, beam.seconds, "s"),
          row("ref_greedy_tps", "decode_ref.py greedy f32: target tokens/s", theirs.greedy),
          row("ours_greedy_tps", "deno-torch greedy f32: target tokens/s", ours.greedy),
          row("ref_int8_tps", "decode_ref.py greedy int8: target tokens/s", theirs.int8),
          row("ours_int8_tps", "deno-torch greedy int8: target tokens/s", ours.int8),
          row("ref_beam_tps", `decode_ref.py beam ${BEAM}: target tokens/s`, theirs.beam),
          row("ours_beam_tps", `deno-torch beam ${BEAM}: target tokens/s`, ours.beam),
          row("ref_greedy_sps", "decode_ref.py greedy f32: sentences/s", COUNT / refGreedy.seconds),
          row("ours_greedy_sps", "deno-torch greedy f32: sentences/s", COUNT / greedy.seconds),
          row("ref_int8_sps", "decode_ref.py greedy int8: sentences/s", COUNT / refInt8.seconds),
          row("ours_int8_sps", "deno-torch greedy int8: sentences/s", COUNT / greedyInt8.seconds),
          row("ref_beam_sps", `decode_ref.py beam ${BEAM}: sentences/s`, BEAM_COUNT / refBeam.seconds),
          row("ours_beam_sps", `deno-torch beam ${BEAM}: sentences/s`, BEAM_COUNT / beam.seconds),
          row("ratio_greedy", "greedy f32: ours / decode_ref.py (tokens/s)", ours.greedy / theirs.greedy),
          row("ratio_int8_f32", "greedy: ours int8 / decode_ref.py f32", ours.int8 / theirs.greedy),
          row("ratio_int8", "greedy int8: ours / decode_ref.py --int8", ours.int8 / theirs.int8),
          row("ratio_beam", `beam ${BEAM}: ours / decode_ref.py (tokens/s)`, ours.beam / theirs.beam),
        ];
      });
      const ratio = (id: string) => rows.find((r) => r.id === id)?.value ?? 0;
      const translateCmd = [Deno.execPath(), "run", "-A", `${ROOT}/scripts/translate.ts`, "--model", dir];
      const rss = {
        ours: peakRssMb([...translateCmd, "--file", `${tmp}/sentences.txt`, "--tokens"]),
        theirs: peakRssMb([PYTHON, DECODE_REF, dir, "--file", `${tmp}/sentences.txt`, "--threads", String(n)]),
      };
      const once = (figure: MacroFigure) => ({ ...figure, runs: [figure.value] });
      rows.push(
        once(row("ref_peak_rss_mb", `decode_ref.py greedy on ${COUNT} sentences: peak RSS (MiB)`, rss.theirs)),
        once(row("ours_peak_rss_mb", `deno task translate on ${COUNT} sentences: peak RSS (MiB)`, rss.ours)),
      );
      const bleu = ctx.quick ? null : heldOutBleu(dir, []);
      const verdicts: Verdict[] = [
        {
          target: TARGET_GREEDY,
          status: ratio("ratio_greedy") >= 1.5 && same ? "PASS" : "FAIL",
          detail: `${ratio("ratio_greedy").toFixed(2)}x decode_ref.py's tokens/s; output ${
            same ? "identical" : "DIFFERENT"
          } on all ${COUNT} sentences; ${n} threads both sides`,
        },
        {
          target: TARGET_INT8,
          status: Math.max(ratio("ratio_int8_f32"), ratio("ratio_int8_shortlist_f32")) >= 3 &&
              ratio("ratio_int8") >= 1.5
            ? "PASS"
            : "FAIL",
          detail: `${ratio("ratio_int8_f32").toFixed(2)}x decode_ref.py f32 (${
            shortlisted
              ? `${ratio("ratio_int8_shortlist_f32").toFixed(2)}x with the shortlist`
              : "no shortlist in the folder"
          }), ${ratio("ratio_int8").toFixed(2)}x decode_ref.py --int8`,
        },
        {
          target: TARGET_BEAM,
          status: ratio("ratio_beam") >= 2 ? "PASS" : "FAIL",
          detail: `${
            ratio("ratio_beam").toFixed(2)
          }x on ${BEAM_COUNT} sentences (the reference decodes them one at a time); output identical to decode_ref.py's on ${beamSame}/${BEAM_COUNT}`,
        },
        {
          target: TARGET_RSS,
          status: rss.ours <= rss.theirs ? "PASS" : "FAIL",
          detail: `${rss.ours.toFixed(0)} MiB vs ${rss.theirs.toFixed(0)} MiB, whole processes, greedy f32`,
        },
      ];
      if (bleu !== null) {
        const scores = {
          f32: bleu,
          int8: heldOutBleu(dir, ["--int8"])!,
          beam: heldOutBleu(dir, ["--beam", String(BEAM)])!,
          beamInt8: heldOutBleu(dir, ["--beam", String(BEAM), "--int8"])!,
        };
        rows.push(
          once(row("bleu_f32", "BLEU, held-out test split: greedy f32", scores.f32)),
          once(row("bleu_int8", "BLEU, held-out test split: greedy int8", scores.int8)),
          once(row("bleu_beam", `BLEU, held-out test split: beam ${BEAM} f32`, scores.beam)),
          once(row("bleu_beam_int8", `BLEU, held-out test split: beam ${BEAM} int8`, scores.beamInt8)),
        );
        verdicts.push({
          target: TARGET_BLEU,
          status: Math.abs(scores.int8 - scores.f32) <= 0.5 && Math.abs(scores.beamInt8 - scores.beam) <= 0.5
            ? "PASS"
            : "FAIL",
          detail: `greedy ${scores.int8.toFixed(2)} int8 vs ${scores.f32.toFixed(2)} f32; beam ${BEAM} ${
            scores.beamInt8.toFixed(2)
          } int8 vs ${scores.beam.toFixed(2)} f32`,
        });
      }
      return {
        rows,
        verdicts,
        notes: [
          ctx.model === undefined
            ? `Model: written by the reference's make-folder (${SIZE.join(" ")}), random weights; no BLEU.`
            : `Model: ${ctx.model} (--model).`,
          `Sentences: ${COUNT} English sentences spread evenly over ${source} (every ${
            COUNT / BEAM_COUNT
          }th for beam ${BEAM}).`,
          "Both sides: tokenize, encode and decode timed, model loading not. decode_ref.py: batches of 32 sorted by " +
          "length, beam search one sentence at a time. Ours: translate's defaults (batches of 96, f32 weights packed " +
          "for oneDNN at load), finished sentences leaving the batch. Beam: GNMT length penalty 0.6 on both sides.",
          "int8: decode_ref.py quantizes every Linear with torch's quantize_dynamic (onednn, per-tensor weights); ours " +
          "quantizes the same layers per channel for oneDNN's int8 kernel, called directly (quantizeModel).",
        ],
      };
    } finally {
      for (const f of folders) free([f.model.params, f.model.buffers]);
      await Deno.remove(tmp, { recursive: true });
    }
  },
};
