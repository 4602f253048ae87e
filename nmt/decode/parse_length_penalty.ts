/**
 * The length penalty as people spell it, on the command line (`--length-penalty`) and in the JSON
 * API (`"lengthPenalty"`): none, average or gnmt:ALPHA. The decoder itself takes the parsed value.
 */
import type { LengthPenalty } from "./beam.ts";

/**
 * A length penalty from its spelling: none, average or gnmt:ALPHA. Left out, beam search gets
 * gnmt:0.6 (GNMT's value) and greedy none. Throws a RangeError naming `field` (the flag or API field
 * the value came from) and the bad value.
 */
export function parseLengthPenalty(
  value: string | undefined,
  beam: number,
  field = "--length-penalty",
): LengthPenalty {
  if (value === undefined) return beam > 1 ? { kind: "gnmt", alpha: 0.6 } : { kind: "none" };
  if (value === "none" || value === "average") return { kind: value };
  const m = /^gnmt:(\d+(?:\.\d+)?)$/.exec(value);
  if (!m) throw new RangeError(`${field} must be none, average or gnmt:ALPHA, got ${JSON.stringify(value)}`);
  return { kind: "gnmt", alpha: Number(m[1]) };
}
