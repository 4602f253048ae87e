/**
 * The most memory the process held during one training step. An outside sampler of /proc reads the
 * resident set mid-step, where a step's buffers are live, and the after-step reading misses that;
 * Linux keeps the high-water mark (VmHWM), and writing 5 to /proc/self/clear_refs resets it to the
 * current resident set, so reset before a step and read after gives the step's own peak. Elsewhere,
 * or without permission, both do nothing and the peak is unknown (undefined).
 */

const CLEAR_REFS = "/proc/self/clear_refs";
const STATUS = "/proc/self/status";
let supported = Deno.build.os === "linux";

/** Starts a new high-water mark at the current resident set. */
export function resetPeakResident(): void {
  if (!supported) return;
  try {
    Deno.writeTextFileSync(CLEAR_REFS, "5");
  } catch {
    supported = false; // not permitted, or an older kernel: stop trying
  }
}

/** The resident set's high-water mark since the last reset, in bytes. */
export function peakResidentBytes(): number | undefined {
  if (!supported) return undefined;
  try {
    const kib = Deno.readTextFileSync(STATUS).match(/^VmHWM:\s+(\d+) kB$/m)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    supported = false;
    return undefined;
  }
}
