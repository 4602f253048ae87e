/**
 * The PyTorch reference (../shared/reference/transformer_ref.py with Debian's python3-torch), when
 * present. DENO_TORCH_REFERENCE_DIR and DENO_TORCH_PYTHON point elsewhere (scripts/gpu_check.sh: the
 * copy carried with the tree, and the GPU machine's python3 with its pip torch).
 */

export const ROOT = decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(/\/$/, "");
export const FIXTURES = `${ROOT}/tests/fixtures`;
export const REFERENCE = `${
  Deno.env.get("DENO_TORCH_REFERENCE_DIR") ?? `${ROOT}/../shared/reference`
}/transformer_ref.py`;
export const PYTHON = Deno.env.get("DENO_TORCH_PYTHON") ?? "/usr/bin/python3";

function works(): boolean {
  try {
    Deno.statSync(REFERENCE);
    const { code } = new Deno.Command(PYTHON, { args: ["-c", "import torch"], stdout: "null", stderr: "null" })
      .outputSync();
    return code === 0;
  } catch {
    return false;
  }
}

/** True when the live reference can run here; tests that need it are ignored (with a notice) otherwise. */
export const referenceAvailable = works();
if (!referenceAvailable) {
  console.warn(
    `note: the PyTorch reference is not available (${PYTHON} with torch, ${REFERENCE}); live parity checks are skipped`,
  );
}

/** Runs a python script with arguments and returns its stdout; throws with stderr on failure. */
export function runPython(script: string, args: string[]): string {
  const { code, stdout, stderr } = new Deno.Command(PYTHON, { args: [script, ...args], cwd: ROOT }).outputSync();
  const out = new TextDecoder().decode(stdout);
  if (code !== 0) throw new Error(`${script} ${args.join(" ")} failed (${code}):\n${new TextDecoder().decode(stderr)}`);
  return out;
}

/** Runs a command of the reference script (make-folder, greedy, logits, ...). */
export function runReference(args: string[]): string {
  return runPython(REFERENCE, args);
}
