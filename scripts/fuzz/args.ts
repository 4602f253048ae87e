/** The command line both fuzzers share: `--seed N --calls M [--op NAME] [--verbose] [--trace]`. */
export interface FuzzArgs {
  seed: number;
  calls: number;
  only: string | null;
  verbose: boolean;
  trace: boolean;
}

/** Parses the fuzzers' flags; a bad --seed or --calls is a RangeError that starts with the fuzzer's name. */
export function parseFuzzArgs(name: string, args: string[]): FuzzArgs {
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const seed = Number(value("--seed") ?? 1);
  const calls = Number(value("--calls") ?? 2000);
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(calls) || calls < 0) {
    throw new RangeError(
      `${name}: --seed and --calls must be integers, got ${value("--seed")} and ${value("--calls")}`,
    );
  }
  return {
    seed,
    calls,
    only: value("--op") ?? null,
    verbose: args.includes("--verbose"),
    trace: args.includes("--trace"),
  };
}
