/** metrics.jsonl: one JSON object per event (train steps, validations), appended as the run goes. */

export type MetricsEvent =
  | {
    kind: "train";
    step: number;
    epoch: number;
    loss: number;
    lr: number;
    gradNorm: number;
    tokensPerSecond: number;
    elapsed: number;
    /**
     * The process's resident memory after the step and at its peak during it (Linux), the JS heap,
     * and the parts the tensor library accounts for.
     */
    rssBytes?: number;
    peakRssBytes?: number;
    heapBytes?: number;
    cachedBytes?: number;
    liveTensors?: number;
  }
  | {
    kind: "valid";
    step: number;
    epoch: number;
    loss: number;
    exactMatch?: number;
    bleu?: number;
    chrf?: number;
    elapsed: number;
  };

export class MetricsLog {
  constructor(readonly path: string) {}

  append(event: MetricsEvent): void {
    Deno.writeTextFileSync(this.path, JSON.stringify(event) + "\n", { append: true, create: true });
  }

  read(): MetricsEvent[] {
    let text: string;
    try {
      text = Deno.readTextFileSync(this.path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
    const lines = text.split("\n");
    // A run killed in the middle of an append leaves its last line torn (no newline after it):
    // that event was never complete, and the resumed run logs it again.
    if (!text.endsWith("\n")) lines.pop();
    return lines.filter((l) => l.trim() !== "").map((l, i) => {
      try {
        return JSON.parse(l);
      } catch (e) {
        throw new Error(`${this.path}: line ${i + 1} is not JSON (${(e as Error).message})`);
      }
    });
  }

  /** Drops events after `step`: a resumed run replays those steps and logs them again. */
  truncateAfter(step: number): void {
    const kept = this.read().filter((e) => e.step <= step);
    // Written aside and renamed over the log: a kill during the rewrite leaves the old log whole.
    const tmp = `${this.path}.tmp`;
    Deno.writeTextFileSync(tmp, kept.map((e) => JSON.stringify(e) + "\n").join(""));
    Deno.renameSync(tmp, this.path);
  }
}
