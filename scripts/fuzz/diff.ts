/**
 * Differential fuzzer against PyTorch (`deno task fuzz-torch --seed N --calls M [--op NAME] [--verbose]`):
 * draws M random VALID calls over the tensor ops of mod.ts (scripts/fuzz/diff_table.ts: elementwise
 * with broadcasting and mixed dtypes, comparisons, where, reductions over random dims, softmax,
 * matmul with batch broadcasting, shape ops, nn ops, casts, deterministic creation), on inputs of
 * random shapes (0-dim, size 0 and 1), dtypes and layouts (transposed, strided, expanded) with special
 * values now and then; runs each with the library, then the whole batch in ONE Python process with
 * torch on the same bytes (scripts/fuzz/diff_torch.py, via /usr/bin/python3), and compares: the same
 * dtype, the same shape, values equal (bit for bit, or within a few roundings of the dtype: see
 * diff_case.ts), NaN in the same places, and both sides rejecting or neither. Prints a summary; exits
 * 1 on any mismatch or leaked tensor. Reproducible: the same seed and call count give the same calls.
 * The differences kept on purpose are listed at the top of diff_table.ts.
 */
import { parseFuzzArgs } from "./args.ts";
import { memory, type Tensor } from "../../mod.ts";
import { Rand } from "./gen.ts";
import { DiffGen } from "./diff_gen.ts";
import { diffOps } from "./diff_table.ts";
import { buildInput, compareOutcomes, type Outcome, type WireCase, wireTensor } from "./diff_case.ts";

export const PYTHON = "/usr/bin/python3";
const TORCH_SIDE = new URL("./diff_torch.py", import.meta.url).pathname;

export interface Mismatch {
  call: number;
  op: string;
  why: string;
  case: WireCase;
}

export interface DiffSummary {
  calls: number;
  /** Calls where both sides returned a result (and were compared). */
  compared: number;
  /** Calls where both sides rejected the inputs: a generator slip, counted apart, not compared. */
  bothRejected: number;
  /** The first of those, with torch's error, for --verbose. */
  rejections: { call: number; line: string }[];
  mismatches: Mismatch[];
  perOp: Record<string, number>;
  /** Tensors left alive by the library's calls, in all and per op. */
  leaked: number;
  leaks: Record<string, number>;
}

/** Whether /usr/bin/python3 can import torch (the fuzzer and its test need it). */
export function torchAvailable(): boolean {
  try {
    return new Deno.Command(PYTHON, { args: ["-c", "import torch"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false; // no such binary, or no --allow-run
  }
}

/** The calls of a run: the op and its case for each, drawn from a sub-seed per call (so one replays alone). */
export function drawCases(seed: number, calls: number, only: string | null = null): WireCase[] {
  const names = only === null ? Object.keys(diffOps) : [only];
  const cases: WireCase[] = [];
  for (let id = 0; id < calls; id++) {
    const op = names[id % names.length]; // round robin: every op is compared in any slice of a few hundred calls
    const g = new DiffGen(new Rand(seed * 1_000_003 + id));
    const args = diffOps[op].make(g);
    cases.push({ id, op, inputs: g.inputs, args });
  }
  return cases;
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.constructor.name}: ${e.message}` : `non-Error thrown: ${String(e)}`;
}

/** Runs one case with the library; frees everything it made. */
export function runOurs(c: WireCase): Outcome {
  const made: Tensor[] = [];
  try {
    const inputs = c.inputs.map((r) => {
      const built = buildInput(r);
      made.push(...built.made);
      return built.input;
    });
    const result = diffOps[c.op].ours(inputs, c.args);
    const outputs = Array.isArray(result) ? result : [result];
    // An op may return an input itself (nn.dropout.apply at rate 0 or without a key): free it once.
    for (const t of outputs) if (!made.includes(t)) made.push(t);
    return { ok: true, outputs: outputs.map(wireTensor) };
  } catch (e) {
    return { ok: false, error: describe(e) };
  } finally {
    for (const t of made) if (!t.freed) t.free();
  }
}

/** JSON for the Python side: non-finite numbers and -0, which JSON cannot write, as {"$num": "..."}. */
function toJSON(cases: WireCase[]): string {
  return JSON.stringify(
    cases,
    (_, v) =>
      typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))
        ? { $num: Object.is(v, -0) ? "-0" : String(v) }
        : v,
  );
}

/** Runs the whole batch with torch in one Python process. */
export async function runTorch(cases: WireCase[]): Promise<Outcome[]> {
  const dir = await Deno.makeTempDir({ prefix: "fuzz-torch-" });
  try {
    const [src, dst] = [`${dir}/cases.json`, `${dir}/outcomes.json`];
    await Deno.writeTextFile(src, toJSON(cases));
    const out = await new Deno.Command(PYTHON, { args: [TORCH_SIDE, src, dst], stdout: "piped", stderr: "piped" })
      .output();
    if (!out.success) {
      throw new Error(`fuzz-torch: ${PYTHON} ${TORCH_SIDE} failed:\n${new TextDecoder().decode(out.stderr)}`);
    }
    const outcomes: (Outcome & { id: number })[] = JSON.parse(await Deno.readTextFile(dst));
    if (outcomes.length !== cases.length || outcomes.some((o, i) => o.id !== cases[i].id)) {
      throw new Error(
        `fuzz-torch: ${TORCH_SIDE} answered ${outcomes.length} cases out of order or not all ${cases.length}`,
      );
    }
    return outcomes;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Compares each case's two outcomes. */
export function compareAll(cases: WireCase[], ours: Outcome[], theirs: Outcome[]): DiffSummary {
  const s: DiffSummary = {
    calls: cases.length,
    compared: 0,
    bothRejected: 0,
    rejections: [],
    mismatches: [],
    perOp: {},
    leaked: 0,
    leaks: {},
  };
  cases.forEach((c, i) => {
    s.perOp[c.op] = (s.perOp[c.op] ?? 0) + 1;
    const why = compareOutcomes(ours[i], theirs[i], diffOps[c.op].tolerance);
    if (why !== null) s.mismatches.push({ call: c.id, op: c.op, why, case: c });
    else if (!ours[i].ok) {
      s.bothRejected++;
      const error = (theirs[i] as { error: string }).error;
      if (s.rejections.length < 50) s.rejections.push({ call: c.id, line: `${describeCase(c)}: torch: ${error}` });
    } else s.compared++;
  });
  return s;
}

/** Draws, runs on both sides and compares `calls` calls. */
export async function fuzzTorch(seed: number, calls: number, only: string | null = null): Promise<DiffSummary> {
  const cases = drawCases(seed, calls, only);
  const leaks: Record<string, number> = {};
  const ours = cases.map((c) => {
    const before = memory().tensors;
    const outcome = runOurs(c);
    const leaked = memory().tensors - before;
    if (leaked !== 0) leaks[c.op] = (leaks[c.op] ?? 0) + leaked;
    return outcome;
  });
  const theirs = await runTorch(cases);
  const leaked = Object.values(leaks).reduce((a, b) => a + b, 0);
  return { ...compareAll(cases, ours, theirs), leaked, leaks };
}

/** A case as a line a reader can replay: op, inputs (dtype, shape, layout) and arguments. */
function describeCase(c: WireCase): string {
  const inputs = c.inputs.map((r) => {
    const v = r.view.kind === "plain" ? "" : ` ${r.view.kind}`;
    return `${r.dtype}[${r.base}]${v}`;
  });
  return `${c.op}(${inputs.join(", ")}) ${JSON.stringify(c.args)}`;
}

function report(s: DiffSummary, seed: number, verbose: boolean): void {
  console.log(`fuzz-torch: seed ${seed}, ${s.calls} calls, ${s.compared} compared, ${s.bothRejected} rejected by both`);
  console.log(`  ops: ${Object.keys(s.perOp).length}`);
  console.log(`  mismatches: ${s.mismatches.length}`);
  for (const m of s.mismatches.slice(0, verbose ? Infinity : 40)) {
    console.log(`    #${m.call} ${describeCase(m.case)}: ${m.why}`);
  }
  if (verbose) { for (const r of s.rejections) console.log(`    rejected by both: #${r.call} ${r.line}`); }
  const leaks = Object.entries(s.leaks).map(([op, n]) => `${op} ${n}`).join(", ");
  console.log(`  leaked tensors: ${s.leaked}${leaks ? ` (${leaks})` : ""}`);
}

if (import.meta.main) {
  const { seed, calls, only, verbose } = parseFuzzArgs("fuzz-torch", Deno.args);
  if (only !== null && !(only in diffOps)) {
    console.error(`fuzz-torch: --op ${only} is not in scripts/fuzz/diff_table.ts`);
    Deno.exit(2);
  }
  if (!torchAvailable()) {
    console.error(
      `fuzz-torch: \`${PYTHON} -c "import torch"\` failed: PyTorch is needed (WITH_REFERENCE=1 bash scripts/setup.sh)`,
    );
    Deno.exit(2);
  }
  const summary = await fuzzTorch(seed, calls, only);
  report(summary, seed, verbose);
  Deno.exit(summary.mismatches.length > 0 || summary.leaked !== 0 ? 1 : 0);
}
