/** Running the project's own commands from tests, as a user would. */

/** The repository root. */
export const ROOT = decodeURIComponent(new URL("../..", import.meta.url).pathname);

/** Output of a finished command. */
export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** `deno <args>` from the repository root (with `env` added); its exit status and output. */
export async function deno(args: string[], env: Record<string, string> = {}): Promise<Finished> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, env }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** `deno task --quiet <task> <args>`. */
export const denoTask = (task: string, args: string[], env: Record<string, string> = {}) =>
  deno(["task", "--quiet", task, ...args], env);
