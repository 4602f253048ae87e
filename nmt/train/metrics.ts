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
    return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  }

  /** Drops events after `step`: a resumed run replays those steps and logs them again. */
  truncateAfter(step: number): void {
    const kept = this.read().filter((e) => e.step <= step);
    Deno.writeTextFileSync(this.path, kept.map((e) => JSON.stringify(e) + "\n").join(""));
  }
}
