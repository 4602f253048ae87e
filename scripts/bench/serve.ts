/**
 * The app under load: `deno task serve` in its own process (f32, then --int8, then --int8
 * --shortlist when the folder has a shortlist), and 1, 8 and 32 concurrent clients posting one
 * Tatoeba sentence per request from this process (nmt/serve/load.ts), on loopback. Then the page's
 * typing latency: one client sending the growing prefixes of sentences, as the page does after each
 * pause in typing, and the server's answer time for each. Targets (issue 18): p50 ≤ 10 ms at one
 * client and ≥ 600 requests/s at 32 clients, with int8.
 */
import { loadTest } from "../../nmt/serve/load.ts";
import { benchSentences } from "./decode.ts";
import { ROOT, skipped } from "./reference.ts";
import type { MacroContext, MacroFigure, MacroGroup, MacroOutcome, MacroRow, Verdict } from "./types.ts";

const CLIENTS = [1, 8, 32];
const TARGET = "serve with int8: p50 ≤ 10 ms at 1 client, ≥ 600 requests/s at 32 clients";

/** A server process on a free port; its base URL once it listens. */
async function startServer(model: string, flags: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const args = ["run", "-A", `${ROOT}/scripts/serve.ts`, "--model", model, "--port", "0", ...flags];
  const child = new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdout: "piped", stderr: "inherit" }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve ${flags.join(" ")} exited before listening: ${seen}`);
    seen += value;
    const match = /on (http:\/\/[^\s/]+:\d+)\//.exec(seen);
    if (match) {
      const drain = (async () => {
        while (!(await reader.read()).done) { /* keep the pipe empty */ }
      })();
      return {
        url: match[1],
        stop: async () => {
          child.kill("SIGTERM");
          await child.status;
          await drain.catch(() => {});
        },
      };
    }
  }
}

/** Each sentence cut after its 1st, 2nd, … word: what the page sends while someone types it. */
function prefixes(sentences: string[]): string[] {
  return sentences.flatMap((s) => {
    const words = s.split(" ");
    return words.map((_, i) => words.slice(0, i + 1).join(" "));
  });
}

export const serveGroup: MacroGroup = {
  kind: "macro",
  name: "serve",
  title: "The app under load: deno task serve, one sentence per request (f32, int8, int8 + shortlist)",
  description: "requests/s and p50/p99 latency at 1, 8 and 32 clients, and the page's typing latency",

  async run(ctx: MacroContext): Promise<MacroOutcome> {
    const model = ctx.model;
    if (model === undefined) {
      const why = "needs a trained model folder (--model DIR)";
      ctx.log(`notice: group serve skipped: ${why}`);
      return skipped(TARGET, why);
    }
    const { sentences } = benchSentences(ctx.quick ? 200 : 1000);
    const typing = prefixes(sentences.slice(0, ctx.quick ? 10 : 40));
    let hasShortlist = true;
    try {
      Deno.statSync(`${model}/shortlist.safetensors`);
    } catch {
      hasShortlist = false;
    }
    const variants: [string, string[]][] = [["f32", []], ["int8", ["--int8"]]];
    if (hasShortlist) variants.push(["int8 + shortlist", ["--int8", "--shortlist"]]);
    const rows: MacroRow[] = [];
    const add = (figure: MacroFigure) => rows.push({ ...figure, runs: [figure.value] });
    const byVariant = new Map<string, { p50: number; rps32: number }>();
    for (const [name, flags] of variants) {
      const slug = name.replaceAll(/\W+/g, "_");
      const server = await startServer(model, flags);
      try {
        await loadTest(server.url, { clients: 4, requests: 100, sentences }); // warm up
        let p50 = Infinity, rps32 = 0;
        for (const clients of CLIENTS) {
          const requests = ctx.quick ? 100 : clients === 1 ? 500 : 2000;
          const r = await loadTest(server.url, { clients, requests, sentences });
          if (r.errors > 0) throw new Error(`serve ${name}: ${r.errors} of ${r.requests} requests failed`);
          ctx.log(
            `  ${name}, ${clients} clients: ${r.requestsPerSecond.toFixed(1)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${
              r.p99.toFixed(1)
            } ms`,
          );
          const id = `${slug}_${clients}`;
          add({
            id: `${id}_rps`,
            label: `${name}, ${clients} clients: requests/s`,
            value: r.requestsPerSecond,
            unit: "count",
          });
          add({ id: `${id}_p50`, label: `${name}, ${clients} clients: p50 (ms)`, value: r.p50, unit: "count" });
          add({ id: `${id}_p99`, label: `${name}, ${clients} clients: p99 (ms)`, value: r.p99, unit: "count" });
          if (clients === 1) p50 = r.p50;
          if (clients === 32) rps32 = r.requestsPerSecond;
        }
        const t = await loadTest(server.url, { clients: 1, requests: typing.length, sentences: typing });
        ctx.log(
          `  ${name}, typing (${typing.length} prefixes): p50 ${t.p50.toFixed(1)} ms, p99 ${t.p99.toFixed(1)} ms`,
        );
        add({
          id: `${slug}_typing_p50`,
          label: `${name}, typing: p50 (ms)`,
          value: t.p50,
          unit: "count",
        });
        add({
          id: `${slug}_typing_p99`,
          label: `${name}, typing: p99 (ms)`,
          value: t.p99,
          unit: "count",
        });
        byVariant.set(name, { p50, rps32 });
      } finally {
        await server.stop();
      }
    }
    const best = byVariant.get(hasShortlist ? "int8 + shortlist" : "int8")!;
    const verdicts: Verdict[] = [{
      target: TARGET,
      status: best.p50 <= 10 && best.rps32 >= 600 ? "PASS" : "FAIL",
      detail: `${hasShortlist ? "int8 + shortlist" : "int8"}: p50 ${best.p50.toFixed(1)} ms at 1 client, ${
        best.rps32.toFixed(0)
      } requests/s at 32 clients`,
    }];
    return {
      rows,
      verdicts,
      notes: [
        `Model: ${model}. Sentences: ${sentences.length} spread over Tatoeba, one per request, in turn.`,
        "Server and clients share this machine's cores (the clients are this process).",
        `Typing: ${typing.length} growing word prefixes sent by 1 client, as the page sends them ` +
        "after its 300 ms pause; the figure is the answer time, the pause excluded.",
      ],
    };
  },
};
