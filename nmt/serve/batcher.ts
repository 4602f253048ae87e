/**
 * Requests that arrive together are decoded together. An idle server decodes a request as soon as
 * it arrives (after `windowMs`, default 0: only what arrived in the same turn joins it); requests
 * that arrive while a decode runs queue up, and the next decode takes all of them with the same
 * decoding options in one `translate` call, each job getting its own slice back. So a lone request
 * waits for nothing, and under load the batches grow with the load: decoding 32 sentences at once
 * costs far less than 32 separate decodes.
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

/** Queues jobs per decoding-options key and decodes the queues one `translate` call each, in arrival order. */
export class Batcher {
  readonly stats: BatcherStats = { batches: 0, jobs: 0, sentences: 0 };
  #queues = new Map<string, { options: TranslateOptions; jobs: Job[] }>();
  #decoding = false; // one decode at a time: the native calls are synchronous anyway
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly folder: ModelFolder,
    /** How long an idle server waits for more requests before it decodes. */
    readonly windowMs = 0,
    /** Sentences decoded together in one batch of a `translate` call. */
    readonly maxSentences = 64,
  ) {}

  /** Translates `texts` with `options`, decoded together with whatever else is waiting. */
  translate(texts: string[], options: TranslateOptions): Promise<Translation[]> {
    const key = JSON.stringify(options);
    return new Promise((resolve, reject) => {
      let queue = this.#queues.get(key);
      if (!queue) {
        queue = { options, jobs: [] };
        this.#queues.set(key, queue);
      }
      queue.jobs.push({ texts, resolve, reject });
      if (!this.#decoding && this.#timer === null) {
        this.#timer = setTimeout(() => {
          this.#timer = null;
          this.#drain();
        }, this.windowMs);
      }
    });
  }

  /** Decodes queue after queue until none is left; what arrives meanwhile joins the next one. */
  async #drain(): Promise<void> {
    this.#decoding = true;
    try {
      for (let next = this.#queues.keys().next(); !next.done; next = this.#queues.keys().next()) {
        const queue = this.#queues.get(next.value)!;
        this.#queues.delete(next.value);
        await this.#decode(queue.options, queue.jobs);
      }
    } finally {
      this.#decoding = false;
    }
  }

  async #decode(options: TranslateOptions, jobs: Job[]): Promise<void> {
    const texts = jobs.flatMap((j) => j.texts);
    try {
      const results = await translate(this.folder, texts, { ...options, batchSize: this.maxSentences });
      this.stats.batches++;
      this.stats.jobs += jobs.length;
      this.stats.sentences += texts.length;
      let at = 0;
      for (const job of jobs) {
        job.resolve(results.slice(at, at + job.texts.length));
        at += job.texts.length;
      }
    } catch (e) {
      for (const job of jobs) job.reject(e);
    }
  }
}
