/** The one error type of the corpus readers: every problem names the file and, where one applies, the line. */

/**
 * The error the corpus readers throw. Its message starts with the location (`file:line: `, or
 * `file: row N: ` for parquet), and `file`, `line` and `problem` give the parts separately.
 *
 * @example
 * ```ts
 * import { CorpusError, loadPairs } from "@deno-torch/torch/nmt";
 * try {
 *   await loadPairs("data/pairs.jsonl");
 * } catch (e) {
 *   if (e instanceof CorpusError) console.error(e.file, e.line, e.problem);
 * }
 * ```
 */
export class CorpusError extends Error {
  /**
   * An error located in `file` (and `line`, when given); the message is the location followed by `problem`.
   *
   * @param file the file at fault (or the corpus path when no single file is)
   * @param line 1-based line number; for parquet files, the 1-based row number; undefined for whole-file problems
   * @param problem what is wrong, without the location (the message adds it)
   */
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string,
    options?: ErrorOptions & { row?: boolean },
  ) {
    super(CorpusError.locate(file, line, options?.row ?? false) + problem, options);
    this.name = "CorpusError";
  }

  /** `file:line: ` as compilers print it (editors jump to it), `file: row N: ` for table rows, `file: ` otherwise. */
  private static locate(file: string, line: number | undefined, row: boolean): string {
    if (line === undefined) return `${file}: `;
    return row ? `${file}: row ${line}: ` : `${file}:${line}: `;
  }
}
