/**
 * Invalid-input fuzzer (`deno task fuzz --seed N --calls M [--op NAME] [--verbose] [--trace]`): calls the tensor
 * ops of mod.ts with random, often invalid arguments (see scripts/fuzz/table.ts) and checks that each
 * call either succeeds or throws a named error class whose message starts with the op's name, and that
 * every tensor it made is freed again. Prints a summary; exits 1 on any finding or leak.
 * Reproducible: the same seed and call count give the same calls.
 */
import { parseFuzzArgs } from "./fuzz/args.ts";
import * as torch from "../mod.ts";
import {
  DeviceError,
  DTypeError,
  forEachTensor,
  formatShape,
  FreedTensorError,
  memory,
  ShapeError,
  TorchError,
} from "../mod.ts";
import { Inputs, Rand } from "./fuzz/gen.ts";
import { lastCall, ops, skipped } from "./fuzz/table.ts";
import { Tensor } from "../mod.ts";

/** Error classes a rejection may use, most specific first. */
const NAMED = [ShapeError, DTypeError, DeviceError, FreedTensorError, TorchError, RangeError, TypeError] as const;

interface Finding {
  call: number;
  op: string;
  args: string;
  message: string;
}

interface Summary {
  calls: number;
  successes: number;
  rejections: Record<string, number>;
  findings: Finding[];
  leaks: Record<string, number>;
}

/** Every exported function must be fuzzed or listed as skipped, so the table cannot fall behind mod.ts. */
function unclassifiedExports(): string[] {
  return Object.entries(torch)
    .filter(([name, v]) => typeof v === "function" && !(name in ops) && !(name in skipped))
    .map(([name]) => name);
}

/** The class name of a rejection, or null when it is not a named error whose message names the op. */
export function classify(e: unknown, prefixes: readonly string[]): string | null {
  const named = NAMED.find((k) => e instanceof k);
  if (!named || !(e instanceof Error)) return null;
  return prefixes.some((p) => e.message.startsWith(`${p}:`) || e.message.startsWith(`${p} `)) ? e.name : null;
}

/** Frees every tensor in an op's result that the fuzzer did not make itself. */
function freeResult(result: unknown, inputs: Inputs): void {
  const mine = new Set(inputs.tensors);
  forEachTensor(result, (t) => {
    if (!mine.has(t) && !t.freed) t.free();
  });
}

/** An argument as the summary shows it: tensors by shape, dtype and layout; edge numbers as written. */
function describeArg(x: unknown, depth = 0): string {
  if (x instanceof Tensor) {
    const layout = x.freed ? " freed" : torch.isContiguous(x) ? "" : " non-contiguous";
    return `Tensor${formatShape(x.shape)} ${x.dtype}${layout}`;
  }
  if (typeof x === "number") return Object.is(x, -0) ? "-0" : String(x);
  if (Array.isArray(x)) return depth > 2 ? "[...]" : `[${x.map((v) => describeArg(v, depth + 1)).join(", ")}]`;
  if (x instanceof Uint8Array) return `Uint8Array(${x.length})`;
  if (x !== null && typeof x === "object") {
    if (depth > 2) return "{...}";
    const fields = Object.entries(x).filter(([, v]) => v !== undefined);
    return `{ ${fields.map(([k, v]) => `${k}: ${describeArg(v, depth + 1)}`).join(", ")} }`;
  }
  return typeof x === "string" ? JSON.stringify(x) : String(x);
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.constructor.name}: ${e.message}` : `non-Error thrown: ${String(e)}`;
}

/** Runs one fuzzed call; records its outcome in `summary`. */
function fuzzOne(call: number, name: string, r: Rand, summary: Summary, verbose: boolean): void {
  const spec = ops[name];
  const before = memory().tensors;
  const inputs = new Inputs(r);
  let result: unknown;
  lastCall.args = [];
  try {
    result = spec.call(inputs);
    summary.successes++;
  } catch (e) {
    const kind = classify(e, spec.names ?? [name]);
    const args = `(${lastCall.args.map((a) => describeArg(a)).join(", ")})`;
    if (kind === null) summary.findings.push({ call, op: name, args, message: describe(e) });
    else summary.rejections[kind] = (summary.rejections[kind] ?? 0) + 1;
    if (verbose) console.log(`#${call} ${name}${args}: ${describe(e)}`);
  }
  try {
    freeResult(result, inputs);
    inputs.release();
  } catch (e) {
    summary.findings.push({ call, op: name, args: "", message: `freeing the result failed: ${describe(e)}` });
  }
  const leaked = memory().tensors - before;
  if (leaked !== 0) summary.leaks[name] = (summary.leaks[name] ?? 0) + leaked;
}

export function fuzz(seed: number, calls: number, only: string | null = null, verbose = false, trace = false): Summary {
  const r = new Rand(seed);
  const names = only === null ? Object.keys(ops) : [only];
  const summary: Summary = { calls, successes: 0, rejections: {}, findings: [], leaks: {} };
  for (let call = 0; call < calls; call++) {
    const name = names[r.int(0, names.length - 1)];
    // --trace: the call about to run, on stderr before it runs, so that an abort (or the OOM killer) shows which.
    if (trace) console.error(`#${call} ${name} (rss before: ${(Deno.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`);
    // Each call gets its own sub-seed, so `--op` or a single call can be replayed from the summary.
    fuzzOne(call, name, new Rand(seed * 1_000_003 + call), summary, verbose);
  }
  return summary;
}

function report(s: Summary, seed: number, liveBefore: number, liveAfter: number): void {
  console.log(`fuzz: seed ${seed}, ${s.calls} calls, ${s.successes} succeeded`);
  for (const [kind, n] of Object.entries(s.rejections).sort()) console.log(`  rejected with ${kind}: ${n}`);
  console.log(`  findings: ${s.findings.length}`);
  for (const f of s.findings.slice(0, 50)) console.log(`    #${f.call} ${f.op}${f.args}: ${f.message}`);
  const leaks = Object.entries(s.leaks);
  console.log(`  leaks: ${leaks.length === 0 ? 0 : leaks.map(([op, n]) => `${op} ${n}`).join(", ")}`);
  console.log(`  live tensors before ${liveBefore}, after ${liveAfter}`);
}

if (import.meta.main) {
  const { seed, calls, only, verbose, trace } = parseFuzzArgs("fuzz", Deno.args);
  const missing = unclassifiedExports();
  if (missing.length > 0) {
    console.error(
      `fuzz: exported functions neither fuzzed nor skipped in scripts/fuzz/table.ts: ${missing.join(", ")}`,
    );
    Deno.exit(2);
  }
  if (only !== null && !(only in ops)) {
    console.error(`fuzz: --op ${only} is not in the table`);
    Deno.exit(2);
  }
  const liveBefore = memory().tensors;
  const summary = fuzz(seed, calls, only, verbose, trace);
  const liveAfter = memory().tensors;
  report(summary, seed, liveBefore, liveAfter);
  const bad = summary.findings.length > 0 || Object.keys(summary.leaks).length > 0 || liveAfter !== liveBefore;
  Deno.exit(bad ? 1 : 0);
}
