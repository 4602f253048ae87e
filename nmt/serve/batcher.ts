/**
 * Requests that arrive together are decoded together. Each job waits up to `windowMs` for others
 * with the same decoding options; then one `translate` call decodes all their sentences in batches,
 * and each job gets its own slice back. Decoding 32 sentences at once costs far less than 32
 * separate decodes (the batched greedy decoder is ~5× faster per sentence), so throughput under
 * concurrent load rises while a lone request waits only the window.
 */
import type { ModelFolder } from "../io/folder.ts";
import { translate, type TranslateOptions, type Translation } from "../decode/translate.ts";

interface Job {
  texts: string[];
  resolve(t: Translation[]): void;
  reject(e: unknown): void;
}

/** Counts, for `GET /api/health` and the tests. */
export interface BatcherStats {
  /** `translate` calls made. */
  batches: number;
  /** Requests served through them. */
  jobs: number;
  /** Sentences decoded. */
  sentences: number;
}

/** Collects jobs per decoding-options key and decodes each group in one `translate` call. */
export class Batcher {
  readonly stats: BatcherStats = { batches: 0, jobs: 0, sentences: 0 };
  #queues = new Map<string, { options: TranslateOptions; jobs: Job[] }>();
  #chain: Promise<void> = Promise.resolve(); // one decode at a time: the native calls are synchronous anyway

  constructor(
    readonly folder: ModelFolder,
    readonly windowMs = 5,
    /** Most sentences decoded in one `translate` call; a fuller queue is flushed at once. */
    readonly maxSentences = 64,
  ) {}

  /** Translates `texts` with `options`, decoded together with whatever else arrives within the window. */
  translate(texts: string[], options: TranslateOptions): Promise<Translation[]> {
    const key = JSON.stringify(options);
    return new Promise((resolve, reject) => {
      let queue = this.#queues.get(key);
      if (!queue) {
        queue = { options, jobs: [] };
        this.#queues.set(key, queue);
        setTimeout(() => this.#flush(key), this.windowMs);
      }
      queue.jobs.push({ texts, resolve, reject });
      const queued = queue.jobs.reduce((n, j) => n + j.texts.length, 0);
      if (queued >= this.maxSentences) this.#flush(key);
    });
  }

  #flush(key: string): void {
    const queue = this.#queues.get(key);
    if (!queue) return; // flushed already (full before its timer)
    this.#queues.delete(key);
    this.#chain = this.#chain.then(async () => {
      const texts = queue.jobs.flatMap((j) => j.texts);
      try {
        const results = await translate(this.folder, texts, { ...queue.options, batchSize: this.maxSentences });
        this.stats.batches++;
        this.stats.jobs += queue.jobs.length;
        this.stats.sentences += texts.length;
        let at = 0;
        for (const job of queue.jobs) {
          job.resolve(results.slice(at, at + job.texts.length));
          at += job.texts.length;
        }
      } catch (e) {
        for (const job of queue.jobs) job.reject(e);
      }
    });
  }
}
