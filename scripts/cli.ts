/** What the task scripts share: reading their command line, with a malformed one as a usage error. */
import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * `parseArgs` over this process's arguments; a malformed command line (an unknown flag, a missing
 * value) goes to the script's `fail`, which prints it as a usage error and exits.
 */
export function parseCommandLine<const T extends Omit<ParseArgsConfig, "args">>(
  config: T,
  fail: (message: string) => never,
): ReturnType<typeof parseArgs<T & { args: string[] }>> {
  try {
    return parseArgs({ ...config, args: Deno.args });
  } catch (e) {
    return fail((e as Error).message);
  }
}
