/** The PyTorch reference as the macro benchmarks run it: Debian's python3 with torch, and transformer_ref.py. */
import type { MacroOutcome } from "./types.ts";

export const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(/\/$/, "");
export const REFERENCE = `${ROOT}/../shared/reference/transformer_ref.py`;
export const PYTHON = "/usr/bin/python3";

/**
 * Runs python with `args` from the repository root; its stdout, or an error with its stderr.
 * The child inherits this process's environment, including the OMP_WAIT_POLICY=PASSIVE that
 * ffi/lib.ts sets, so both sides run libgomp the same way. (With libgomp's spinning default the
 * reference's greedy took 14.7 s instead of ~4 s here: comparing against that would flatter us.)
 */
export function python(args: string[]): string {
  const { code, stdout, stderr } = new Deno.Command(PYTHON, { args, cwd: ROOT }).outputSync();
  if (code !== 0) throw new Error(`${PYTHON} ${args[0]} failed: ${new TextDecoder().decode(stderr)}`);
  return new TextDecoder().decode(stdout);
}

/** What a macro group reports when it cannot run here: its target skipped, and why. */
export function skipped(target: string, why: string): MacroOutcome {
  return { rows: [], verdicts: [{ target, status: "SKIP", detail: why }], notes: [`Skipped: ${why}.`] };
}

/** Why the reference cannot run here, or null when it can. */
export function referenceMissing(): string | null {
  try {
    Deno.statSync(REFERENCE);
  } catch {
    return `no reference at ${REFERENCE}`;
  }
  try {
    python(["-c", "import torch"]);
  } catch {
    return `${PYTHON} cannot import torch`;
  }
  return null;
}

/** What `transformer_ref.py bench-train` prints, plus the process's peak memory. */
export interface ReferenceTrainResult {
  median_step_ms: number;
  min_step_ms: number;
  loss: number;
  peak_rss_mb: number;
}

// Runs the reference's main() as a script would, then reports its peak RSS as a second line: VmHWM, the
// high-water mark of this process's own memory. (ru_maxrss would not do: Linux carries it across exec, so
// it can report the RSS of the Deno process that spawned this one.)
const WITH_PEAK_RSS = [
  "import json, re, runpy, sys",
  "path = sys.argv[1]",
  "sys.argv = [path] + sys.argv[2:]",
  "try:",
  "    runpy.run_path(path, run_name='__main__')",
  "except SystemExit as e:",
  "    if e.code not in (None, 0): raise",
  "hwm = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read())",
  "print(json.dumps({'peak_rss_mb': int(hwm.group(1)) / 1024}))",
].join("\n");

/** `transformer_ref.py bench-train` with these flags (e.g. ["--d-model", "512", ...]), and its peak RSS. */
export function referenceBenchTrain(flags: string[]): ReferenceTrainResult {
  const lines = python(["-c", WITH_PEAK_RSS, REFERENCE, "bench-train", ...flags]).trim().split("\n");
  return { ...JSON.parse(lines[0]), ...JSON.parse(lines[lines.length - 1]) };
}
