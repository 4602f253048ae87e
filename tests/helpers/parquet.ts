/**
 * Small parquet files for tests, written with hyparquet-writer (the writer companion of the reader
 * the project uses): opus_books' layout, `id` plus a `translation` struct, or flat string columns.
 */
// deno-lint-ignore no-import-prefix
import { ByteWriter, parquetWrite } from "npm:hyparquet-writer@0.17.0";

const STRING = { type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" } as const;

/** A string cell may be raw bytes (to write invalid UTF-8); a translation may be null. */
type Cell = string | Uint8Array | null;

/** opus_books' schema: `id: string`, `translation: struct<en: string, it: string>` (or the given languages). */
export function opusBooksParquet(
  translations: (Record<string, Cell> | null)[],
  opts: { langs?: [string, string]; rowGroupSize?: number } = {},
): Uint8Array<ArrayBuffer> {
  const [a, b] = opts.langs ?? ["en", "it"];
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData: [
      { name: "id", data: translations.map((_, i) => String(i)) },
      { name: "translation", data: translations },
    ],
    schema: [
      { name: "schema", num_children: 2 },
      { name: "id", ...STRING },
      { name: "translation", repetition_type: "OPTIONAL", num_children: 2 },
      { name: a, ...STRING },
      { name: b, ...STRING },
    ],
    rowGroupSize: opts.rowGroupSize ?? 1000,
  });
  return new Uint8Array(writer.getBuffer());
}

/** One string column per entry of `columns`. */
export function flatParquet(columns: Record<string, Cell[]>): Uint8Array<ArrayBuffer> {
  const names = Object.keys(columns);
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData: names.map((name) => ({ name, data: columns[name] })),
    schema: [{ name: "schema", num_children: names.length }, ...names.map((name) => ({ name, ...STRING }))],
  });
  return new Uint8Array(writer.getBuffer());
}
