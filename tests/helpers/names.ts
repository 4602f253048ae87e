/** Names and shapes in a safetensors file, read straight from its header (no tensors built). */
export function readSafetensorsHeaderNames(path: string): Map<string, number[]> {
  const bytes = Deno.readFileSync(path);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const out = new Map<string, number[]>();
  for (const [name, entry] of Object.entries(header)) {
    if (name !== "__metadata__") out.set(name, (entry as { shape: number[] }).shape);
  }
  return out;
}
