/**
 * Checks and reshapes the references given to the corpus metrics. Two layouts are accepted:
 * sacreBLEU's streams (`streams[k][i]` is the k-th reference of sentence i) and per-sentence lists
 * (`refs[i]` holds every reference of sentence i). sacreBLEU itself turns its streams into
 * per-sentence lists (`zip(*references)`, dropping `None`), so both layouts name the same thing.
 */

/** One reference list per sentence, from sacreBLEU's streams; `null` is sacreBLEU's `None`: no reference. */
export function sentencesFromStreams(
  metric: string,
  hypotheses: readonly string[],
  streams: readonly (readonly (string | null)[])[],
): string[][] {
  if (streams.length === 0) throw new RangeError(`${metric}: no reference streams given`);
  streams.forEach((stream, k) => {
    // sacreBLEU zips silently and so truncates to the shortest input; a mismatch is a bug upstream.
    if (stream.length !== hypotheses.length) {
      throw new RangeError(
        `${metric}: reference stream ${k} has ${stream.length} lines but there are ${hypotheses.length} hypotheses`,
      );
    }
  });
  return hypotheses.map((_, i) => {
    const refs: string[] = [];
    for (const stream of streams) if (stream[i] !== null) refs.push(stream[i] as string);
    return refs;
  });
}

/** Checks hypotheses against per-sentence reference lists: same count, ≥ 1 reference each, strings only. */
export function checkSentences(
  metric: string,
  hypotheses: readonly string[],
  refsPerSentence: readonly (readonly string[])[],
): void {
  // sacreBLEU fails on an empty corpus too (its statistics sum has nothing to start from).
  if (hypotheses.length === 0) throw new RangeError(`${metric}: no hypotheses to score`);
  if (refsPerSentence.length !== hypotheses.length) {
    throw new RangeError(
      `${metric}: ${hypotheses.length} hypotheses but references for ${refsPerSentence.length} sentences`,
    );
  }
  hypotheses.forEach((hyp, i) => {
    if (typeof hyp !== "string") throw new TypeError(`${metric}: hypothesis ${i} is not a string (${typeof hyp})`);
    const refs = refsPerSentence[i];
    // With no reference sacreBLEU would take -1 as the reference length; refuse instead.
    if (refs.length === 0) throw new RangeError(`${metric}: sentence ${i} has no reference`);
    refs.forEach((ref, k) => {
      if (typeof ref !== "string") {
        throw new TypeError(`${metric}: reference ${k} of sentence ${i} is not a string (${typeof ref})`);
      }
    });
  });
}
