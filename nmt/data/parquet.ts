/**
 * Parquet tables, read a row group at a time with hyparquet (pure JavaScript; snappy built in, the
 * other codecs through hyparquet-compressors), so a large file never has to be decoded whole.
 * Strings are decoded strictly: invalid UTF-8 becomes an InvalidUtf8 value the caller reports by
 * row, where hyparquet's default would turn it into U+FFFD without a word.
 */
// Inline specifiers on purpose: projects that import mod.ts by URL do not see this project's import map.
// deno-lint-ignore no-import-prefix
import { asyncBufferFromFile, type FileMetaData, parquetMetadataAsync, parquetReadObjects } from "npm:hyparquet@1.31.5";
// deno-lint-ignore no-import-prefix
import { compressors } from "npm:hyparquet-compressors@1.1.2";
import { CorpusError } from "./corpus_error.ts";
import { openError } from "./lines.ts";

/** A string cell whose bytes are not valid UTF-8. */
export class InvalidUtf8 {
  constructor(readonly bytes: Uint8Array) {}
}

/** Consecutive rows: `rows[i]` is row `first + i` (1-based), as objects keyed by column name. */
export type RowBatch = { first: number; rows: Record<string, unknown>[] };

export interface ParquetTable {
  path: string;
  numRows: number;
  /** The top-level columns (a struct column is one name). */
  columns: string[];
  /** The rows, one batch per row group, holding only `columns` (all when omitted). */
  rows(columns?: string[]): AsyncGenerator<RowBatch>;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const parsers = {
  stringFromBytes(bytes: Uint8Array): string | InvalidUtf8 {
    try {
      return strictUtf8.decode(bytes);
    } catch {
      return new InvalidUtf8(bytes);
    }
  },
};

/** Opens a parquet file and reads its footer; a file that is not parquet is a CorpusError. */
export async function openParquet(path: string): Promise<ParquetTable> {
  let file;
  try {
    if ((await Deno.stat(path)).isDirectory) throw new CorpusError(path, undefined, "is a folder, not a parquet file");
    file = await asyncBufferFromFile(path);
  } catch (e) {
    throw e instanceof CorpusError ? e : openError(path, e);
  }
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file, { parsers });
  } catch (e) {
    throw new CorpusError(path, undefined, `is not a readable parquet file: ${(e as Error).message}`, { cause: e });
  }
  const root = metadata.schema[0];
  // Top-level columns: walk the flattened schema tree, skipping each child's own subtree.
  const columns: string[] = [];
  let at = 1;
  const skip = (): void => {
    const children = metadata.schema[at++].num_children ?? 0;
    for (let i = 0; i < children; i++) skip();
  };
  for (let i = 0; i < (root.num_children ?? 0); i++) {
    columns.push(metadata.schema[at].name);
    skip();
  }
  const groups = metadata.row_groups.map((g) => Number(g.num_rows));
  return {
    path,
    numRows: Number(metadata.num_rows),
    columns,
    async *rows(wanted?: string[]): AsyncGenerator<RowBatch> {
      let start = 0;
      for (const size of groups) {
        let rows: Record<string, unknown>[];
        try {
          rows = await parquetReadObjects({
            file,
            metadata,
            columns: wanted,
            rowStart: start,
            rowEnd: start + size,
            parsers,
            compressors,
          });
        } catch (e) {
          throw new CorpusError(path, start + 1, `cannot read this row group: ${(e as Error).message}`, {
            cause: e,
            row: true,
          });
        }
        yield { first: start + 1, rows };
        start += size;
      }
    },
  };
}
