/** The one error type of the corpus readers: every problem names the file and, where one applies, the line. */

export class CorpusError extends Error {
  /**
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
