/**
 * The training options on a command line, read off the options table: one `--kebab-case` flag per
 * field, each taking a value, and a `--help` line for each.
 */
import { flagName, OPTION_KEYS, OptionError, OPTIONS, PRESETS, type TrainOptions } from "./options.ts";

/** The flag of option `key` without its dashes, as `parseArgs` names it. */
const flagOf = (key: keyof TrainOptions) => flagName(key).slice(2);

/** `parseArgs` options for the flags of `keys` (by default every training option). */
export function optionFlags(keys: readonly (keyof TrainOptions)[] = OPTION_KEYS): Record<string, { type: "string" }> {
  return Object.fromEntries(keys.map((k) => [flagOf(k), { type: "string" as const }]));
}

/**
 * `base` with the values of the flags of `keys` that were given (`values` as `parseArgs` returns
 * them), each read as its option's type. Not validated: {@linkcode validateOptions} does that.
 *
 * @throws {OptionError} When a numeric option's flag is not a number.
 */
export function readOptionFlags(
  values: Record<string, unknown>,
  base: TrainOptions,
  keys: readonly (keyof TrainOptions)[] = OPTION_KEYS,
): TrainOptions {
  const read: Record<string, string | number> = {};
  for (const k of keys) {
    const v = values[flagOf(k)];
    if (v === undefined) continue;
    if (OPTIONS[k].type === "string") {
      read[k] = v as string;
      continue;
    }
    const n = Number(v);
    if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n)) {
      throw new OptionError(k, `needs a number, got ${JSON.stringify(v)}`);
    }
    read[k] = n;
  }
  return { ...base, ...read };
}

/** One `--help` line per training option: its flag, its help, and its value in the tiny and cpu-small presets. */
export function optionHelp(): string[] {
  const tiny = PRESETS.tiny, small = PRESETS["cpu-small"];
  return OPTION_KEYS.map((k) => {
    const flag = `${flagName(k)} ${OPTIONS[k].type === "number" ? "N" : "X"}`;
    return `  ${flag.padEnd(22)} ${OPTIONS[k].help} (tiny: ${tiny[k] ?? "-"}, cpu-small: ${small[k] ?? "-"})`;
  });
}
