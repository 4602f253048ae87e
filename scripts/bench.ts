/**
 * `deno task bench`: deno-torch against the raw FFI symbols and against PyTorch eager (Debian's
 * python3-torch on the same libtorch, run by /usr/bin/python3 with scripts/bench/torch_workloads.py), both
 * with the same intra-op thread count (micro groups: per-op times in ns), and whole workloads timed
 * in seconds (macro groups, e.g. `data`: an epoch of Tatoeba prepared). Prints a table per group and
 * a verdict per target.
 *
 *   deno task bench                  all groups
 *   deno task bench --only ffi       one group (comma-separate several)
 *   deno task bench --only data      the data pipeline on ../shared/data/tatoeba-en-it.jsonl
 *   deno task bench --quick --json   fewer iterations; machine-readable output on stdout
 *   deno task bench train-step --d-model 512 --layers 6 --heads 8 --d-ff 2048 --batch 8 \
 *     --src-len 32 --tgt-len 32 --vocab 16000 --steps 5 --threads 2 [--profile]
 *
 * Every run also writes its results as JSON to bench/results.json (--results FILE elsewhere).
 */
import { parseArgs } from "node:util";
import { memory, setThreads, threads, torchVersion } from "../mod.ts";
import { localSampler, pairedDiff, pairedRatio, sampleInterleaved, type Sampler } from "./bench/harness.ts";
import { GROUPS } from "./bench/groups.ts";
import { formatNs, groupTable, LEGEND, MACRO_LEGEND, macroTable, verdictLines } from "./bench/report.ts";
import { ROOT } from "./bench/reference.ts";
import { TorchClient } from "./bench/torch.ts";
import { SIZE_FLAGS, type SizeFlags } from "./bench/train_step.ts";
import type {
  AnyGroup,
  AnyResult,
  BenchGroup,
  Context,
  GroupResult,
  MacroContext,
  MacroGroup,
  MacroResult,
  RowResult,
  RowSpec,
} from "./bench/types.ts";

const DEFAULT_PYTHON = "/usr/bin/python3";
const DEFAULT_MAX_TOKENS = 3000;
const DEFAULT_RESULTS = `${ROOT}/bench/results.json`;

/** Breaks `text` at spaces into lines of at most `width` characters, continuation lines indented. */
function wrap(text: string, indent: number, width = 116): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && indent + line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join(`\n${" ".repeat(indent)}`);
}

const USAGE = `Usage: deno task bench [groups...] [options]

Times deno-torch ops against the raw FFI symbols and PyTorch eager (same libtorch, same threads):
micro groups, ns per op. Macro groups time whole workloads in seconds, a few runs each.

Options:
  groups... / --only <groups>
                     run only these groups (${GROUPS.map((g) => g.name).join(", ")})
  --quick            fewer, shorter samples (a smoke run; numbers are noisier)
  --rounds <n>       samples per variant (default 11, quick 5); more rounds steady a busy machine
  --shots <n>        runs of each macro group's workload, median reported (default 3, quick 1)
  --max-tokens <n>   token budget per batch for the data group's epoch plan (default ${DEFAULT_MAX_TOKENS})
  --json             print machine-readable results on stdout (progress goes to stderr)
  --results <file>   where to write the results as JSON (default bench/results.json)
  --threads <n>      set libtorch's intra-op threads (default: the runtime's, DENO_TORCH_THREADS or all cores)
  --python <path>    interpreter with torch for the PyTorch column (default ${DEFAULT_PYTHON})
  --no-torch         skip the PyTorch column
  -h, --help         this text

Training step (train-step, epoch), flags as transformer_ref.py bench-train:
  --d-model, --layers, --heads, --d-ff, --batch, --src-len, --tgt-len, --vocab <n>
                     one model and batch size instead of the standard two (seed, small)
  --steps <n>        timed steps per side (default 5, quick 3)
  --profile          also print where one of our steps spends its time (native ops, freeing, JS + FFI)

Decoding (decode, serve):
  --model <dir>      a trained model folder both sides load (e.g. a training run); default: random weights
                     (serve needs one and skips without it)

Groups:
${
  GROUPS.map((g) => `  ${g.name.padEnd(10)} ${wrap(`${g.kind === "macro" ? "(macro) " : ""}${g.description}`, 13)}`)
    .join("\n")
}
`;

interface Args {
  only?: string;
  groups: string[];
  results?: string;
  steps?: string;
  profile: boolean;
  model?: string;
  size: Partial<SizeFlags> | null;
  quick: boolean;
  json: boolean;
  threads?: string;
  rounds?: string;
  shots?: string;
  "max-tokens"?: string;
  python: string;
  "no-torch": boolean;
  help: boolean;
}

function parse(): Args {
  try {
    const { values, positionals } = parseArgs({
      args: Deno.args,
      options: {
        ...Object.fromEntries(SIZE_FLAGS.map((f) => [f, { type: "string" as const }])),
        only: { type: "string" },
        results: { type: "string" },
        steps: { type: "string" },
        profile: { type: "boolean", default: false },
        model: { type: "string" },
        quick: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        threads: { type: "string" },
        rounds: { type: "string" },
        shots: { type: "string" },
        "max-tokens": { type: "string" },
        python: { type: "string", default: DEFAULT_PYTHON },
        "no-torch": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    const size: Partial<SizeFlags> = {};
    for (const f of SIZE_FLAGS) {
      const v = (values as Record<string, unknown>)[f] as string | undefined;
      if (v !== undefined) size[f] = positiveInt(f, v, 0);
    }
    return { ...values, groups: positionals, size: Object.keys(size).length > 0 ? size : null } as Args;
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n\n${USAGE}`);
    Deno.exit(2);
  }
}

function selectGroups(only: string | undefined, positional: string[]): AnyGroup[] {
  if (!only && positional.length === 0) return [...GROUPS];
  const names = [...(only ?? "").split(","), ...positional].map((s) => s.trim()).filter((s) => s.length > 0);
  const unknown = names.filter((n) => !GROUPS.some((g) => g.name === n));
  if (unknown.length > 0 || names.length === 0) {
    console.error(
      `bench: unknown group(s) ${unknown.join(", ") || "(none given)"}; have ${GROUPS.map((g) => g.name).join(", ")}`,
    );
    Deno.exit(2);
  }
  return GROUPS.filter((g) => names.includes(g.name));
}

/** 1, 5 and 15 min load averages, or null. (Deno wants --allow-all to read /proc and --allow-sys for
 * Deno.loadavg(); the task grants --allow-run, so ask `cat`.) */
function loadAverage(): number[] | null {
  try {
    const { success, stdout } = new Deno.Command("cat", { args: ["/proc/loadavg"], stderr: "null" }).outputSync();
    if (success) return new TextDecoder().decode(stdout).split(" ").slice(0, 3).map(Number);
  } catch {
    // no cat, no /proc
  }
  try {
    return Deno.loadavg();
  } catch {
    return null;
  }
}

/** Runs a row; if the PyTorch process fails mid-way, drops the PyTorch column and runs it again. */
async function runRow(spec: RowSpec, ctx: Context, log: (s: string) => void): Promise<RowResult> {
  try {
    return await runRowOnce(spec, ctx);
  } catch (e) {
    if (!ctx.torch || !spec.torch) throw e;
    log(`notice: PyTorch column dropped from here on: ${(e as Error).message}`);
    await ctx.torch.close().catch(() => {});
    ctx.torch = null;
    return await runRowOnce(spec, ctx);
  }
}

async function runRowOnce(spec: RowSpec, ctx: Context): Promise<RowResult> {
  const samplers: Record<string, Sampler> = { ours: localSampler(spec.ours) };
  if (spec.native) samplers.native = localSampler(spec.native);
  const torch = spec.torch && ctx.torch?.has(spec.torch) ? ctx.torch : null;
  if (torch) samplers.torch = torch.sampler(spec.torch!);
  const stats = await sampleInterleaved(samplers, { targetNs: spec.targetNs ?? ctx.targetNs, repeats: ctx.repeats });
  const r: RowResult = { id: spec.id, label: spec.label, ours: stats.ours, overhead: spec.overhead };
  if (stats.native) {
    r.native = stats.native;
    r.added = pairedDiff(stats.ours, stats.native);
  }
  if (stats.torch) {
    r.torch = stats.torch;
    r.ratio = pairedRatio(stats.ours, stats.torch);
    r.torchCode = torch!.info.workloads[spec.torch!];
  }
  return r;
}

/** A positive integer option, its default when absent; exits with usage status 2 otherwise. */
function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`bench: --${name} needs a positive integer, got ${value}`);
    Deno.exit(2);
  }
  return n;
}

async function runGroup(group: BenchGroup, ctx: Context, log: (s: string) => void): Promise<GroupResult> {
  log(`[${group.name}] ${group.title}`);
  const before = memory().tensors;
  const { rows: specs, dispose } = group.setup(ctx);
  const rows: RowResult[] = [];
  try {
    for (const spec of specs) {
      const r = await runRow(spec, ctx, log);
      const parts = [`ours ${formatNs(r.ours.median)}`];
      if (r.native) parts.push(`native ${formatNs(r.native.median)}`);
      if (r.torch) parts.push(`torch ${formatNs(r.torch.median)}`);
      log(`  ${spec.label}: ${parts.join(", ")}`);
      rows.push(r);
    }
  } finally {
    dispose?.();
  }
  const leaked = memory().tensors - before;
  return {
    kind: "micro",
    name: group.name,
    title: group.title,
    rows,
    verdicts: group.verdicts?.(rows, ctx) ?? [],
    leaked,
  };
}

async function runMacroGroup(group: MacroGroup, ctx: MacroContext): Promise<MacroResult> {
  ctx.log(`[${group.name}] ${group.title}`);
  const before = memory().tensors;
  const outcome = await group.run(ctx);
  return { kind: "macro", name: group.name, title: group.title, ...outcome, leaked: memory().tensors - before };
}

/**
 * Merges this run into the results file: each group's latest result, with the date and setting it
 * was measured in, so `deno task bench data` refreshes one group and keeps the others.
 */
async function writeResults(
  path: string,
  record: Record<string, unknown> & { groups: AnyResult[] },
  log: (s: string) => void,
): Promise<void> {
  let groups: Record<string, unknown> = {};
  try {
    groups = JSON.parse(await Deno.readTextFile(path)).groups ?? {};
    if (typeof groups !== "object" || Array.isArray(groups)) groups = {};
  } catch {
    // absent or unreadable: start afresh
  }
  const { groups: results, ...setting } = record;
  const date = new Date().toISOString();
  for (const g of results) groups[g.name] = { date, setting, result: g };
  try {
    await Deno.writeTextFile(path, JSON.stringify({ updated: date, groups }, null, 2) + "\n");
    log(`results written to ${path}`);
  } catch (e) {
    log(`warning: could not write ${path}: ${(e as Error).message}`);
  }
}

async function main(): Promise<void> {
  const args = parse();
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const groups = selectGroups(args.only, args.groups);
  const micro = groups.filter((g): g is BenchGroup => g.kind !== "macro");
  const macro = groups.filter((g): g is MacroGroup => g.kind === "macro");
  if (args.threads !== undefined) {
    try {
      setThreads(Number(args.threads));
    } catch (e) {
      console.error(`bench: --threads: ${(e as Error).message}`);
      Deno.exit(2);
    }
  }
  const n = threads();
  const quick = args.quick;
  const rounds = positiveInt("rounds", args.rounds, quick ? 5 : 11);
  const shots = positiveInt("shots", args.shots, quick ? 1 : 3);
  const maxTokens = positiveInt("max-tokens", args["max-tokens"], DEFAULT_MAX_TOKENS);
  const out = args.json ? console.error : console.log;
  const log = console.error;

  let torch: TorchClient | null = null;
  let torchNotice: string | null = null;
  if (args["no-torch"]) torchNotice = "--no-torch given";
  else if (micro.length === 0) torchNotice = "no micro group selected";
  else {
    const started = await TorchClient.start(args.python, n);
    if (typeof started === "string") torchNotice = started;
    else torch = started;
  }
  if (torchNotice) log(`notice: PyTorch column skipped: ${torchNotice}`);
  if (torch && torch.info.threads !== n) {
    log(`warning: PyTorch runs ${torch.info.threads} threads, deno-torch ${n}`);
  }

  const ctx: Context = { quick, threads: n, targetNs: quick ? 10e6 : 50e6, repeats: rounds, torch };
  const steps = args.steps === undefined ? undefined : positiveInt("steps", args.steps, 5);
  const macroCtx: MacroContext = {
    quick,
    shots,
    maxTokens,
    log,
    steps,
    trainSize: args.size,
    profile: args.profile,
    model: args.model,
  };
  const loadBefore = loadAverage();
  const pytorch = torch ? `torch ${torch.info.version} via ${torch.info.python}` : `skipped (${torchNotice})`;
  const load = loadBefore ? `; load average ${loadBefore.join(" ")}` : "";
  const header = [
    `deno-torch bench${quick ? " (quick)" : ""}: deno ${Deno.version.deno} (V8 ${Deno.version.v8}), ` +
    `libtorch ${torchVersion()}`,
    `intra-op threads: ${n} (deno-torch) / ${torch ? torch.info.threads : "—"} (PyTorch); ` +
    `cores: ${navigator.hardwareConcurrency}`,
    `PyTorch: ${pytorch}`,
  ];
  if (micro.length > 0) header.push(`samples: ${ctx.repeats} rounds × ~${formatNs(ctx.targetNs)} per variant`);
  if (macro.length > 0) header.push(`macro groups: ${shots} run${shots === 1 ? "" : "s"} each, median reported`);
  header[header.length - 1] += load;
  out(header.join("\n"));

  const results: AnyResult[] = [];
  try {
    for (const g of groups) {
      results.push(g.kind === "macro" ? await runMacroGroup(g, macroCtx) : await runGroup(g, ctx, log));
    }
  } finally {
    await ctx.torch?.close();
  }
  const loadAfter = loadAverage();

  const record = {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    libtorch: torchVersion(),
    threads: n,
    cores: navigator.hardwareConcurrency,
    quick,
    rounds: ctx.repeats,
    targetNs: ctx.targetNs,
    shots,
    maxTokens,
    loadAverage: { before: loadBefore, after: loadAfter },
    pytorch: torch ? { ...torch.info, workloads: undefined } : { skipped: torchNotice },
    groups: results,
  };
  await writeResults(args.results ?? DEFAULT_RESULTS, record, log);
  if (args.json) {
    console.log(JSON.stringify(record, null, 2));
    return;
  }
  for (const g of results) {
    out(`\n## ${g.name}: ${g.title}\n`);
    if (g.kind === "macro") {
      out(macroTable(g));
      if (g.notes.length > 0) out(`\n${g.notes.join("\n")}`);
    } else out(groupTable(g));
  }
  out("");
  if (micro.length > 0) out(LEGEND);
  if (macro.length > 0) out(MACRO_LEGEND);
  if (loadAfter && loadAfter[0] > n * 0.25) {
    out(`Load average ${loadAfter.join(" ")} on ${navigator.hardwareConcurrency} cores: other processes were busy.`);
  }
  out("");
  for (const line of verdictLines(results)) out(line);
}

await main();
