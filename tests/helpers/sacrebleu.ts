/**
 * sacreBLEU, when an interpreter has it: SACREBLEU_PYTHON names one; otherwise python3 is tried.
 * Debian has no python3-sacrebleu package, so on most machines the live comparisons are skipped.
 */
export const SACREBLEU_PYTHON = Deno.env.get("SACREBLEU_PYTHON") ?? "python3";

function version(): string | undefined {
  try {
    const { code, stdout } = new Deno.Command(SACREBLEU_PYTHON, {
      args: ["-c", "import sacrebleu; print(sacrebleu.__version__)"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return code === 0 ? new TextDecoder().decode(stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

/** sacreBLEU's version, or undefined when it is not installed. */
export const SACREBLEU = version();
