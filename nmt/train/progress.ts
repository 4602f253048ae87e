/** Progress output: a redrawn bar on a terminal, plain periodic lines otherwise (logs, CI). */

export interface ProgressInfo {
  epoch: number;
  epochs: number;
  /** Batches done in this epoch, and in all. */
  position: number;
  batches: number;
  step: number;
  loss: number;
  lr: number;
  tokensPerSecond: number;
  /** Seconds to the end of the run, when known. */
  eta: number | null;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

export class Progress {
  readonly #tty: boolean;
  #lastLine = 0;

  constructor(readonly intervalSeconds = 30) {
    this.#tty = Deno.stderr.isTerminal();
  }

  update(p: ProgressInfo): void {
    const fraction = p.batches === 0 ? 0 : p.position / p.batches;
    const text = `epoch ${p.epoch + 1}/${p.epochs} ${(100 * fraction).toFixed(0).padStart(3)}% | step ${p.step} | ` +
      `loss ${p.loss.toFixed(3)} | lr ${p.lr.toExponential(2)} | ${Math.round(p.tokensPerSecond)} tok/s | ` +
      `ETA ${p.eta === null ? "?" : formatDuration(p.eta)}`;
    if (this.#tty) {
      const width = 20, filled = Math.round(fraction * width);
      const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
      Deno.stderr.writeSync(new TextEncoder().encode(`\r\x1b[K${bar} ${text}`));
    } else if (performance.now() / 1000 - this.#lastLine >= this.intervalSeconds) {
      this.#lastLine = performance.now() / 1000;
      console.error(text);
    }
  }

  /** Prints a line of its own (ending the bar's line first). */
  log(line: string): void {
    if (this.#tty) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[K"));
    console.log(line);
  }
}
