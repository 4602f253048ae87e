/**
 * An environment variable's value, or undefined when it is unset or empty. It may be read without
 * --allow-env: a missing permission reads as unset, so a setting falls back to its default.
 *
 * @example
 * ```ts
 * import { envVar } from "@deno-torch/torch";
 * const endpoint = envVar("HF_ENDPOINT") ?? "https://huggingface.co";
 * ```
 */
export function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
