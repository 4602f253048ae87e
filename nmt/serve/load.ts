/**
 * A small load generator for the app: `clients` concurrent loops, each posting one sentence at a
 * time to /api/translate until `requests` have been answered in all; reports requests per second and
 * latency percentiles. Used by the tests (bounded) and for the README's figures.
 */

/** What a load run measured. */
export interface LoadResult {
  clients: number;
  requests: number;
  /** Answers that were not 200. */
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
}

/** The `q` quantile of sorted values (nearest rank). */
function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Posts `requests` translations from `clients` concurrent clients to `baseUrl`; sentences are taken in turn. */
export async function loadTest(
  baseUrl: string,
  { clients, requests, sentences }: { clients: number; requests: number; sentences: string[] },
): Promise<LoadResult> {
  let next = 0, errors = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < requests) {
      const text = sentences[next++ % sentences.length];
      const start = performance.now();
      const res = await fetch(`${baseUrl}/api/translate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) errors++;
      latencies.push(performance.now() - start);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    clients,
    requests: latencies.length,
    errors,
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}
