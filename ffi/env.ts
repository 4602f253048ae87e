/** Environment variables that may be read without --allow-env: a missing permission reads as unset. */
export function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
