/**
 * The translation app's request handler: a single-page UI (no external assets) and a JSON API
 * beside it. `createApp(folder)` returns a `(Request) => Promise<Response>` for `Deno.serve`;
 * scripts/serve.ts is the command around it.
 *
 *   GET  /                the page (with /app.js and /app.css)
 *   GET  /api/health      {"status": "ok", ...batching counts}
 *   GET  /api/model       config, languages, vocabulary sizes, parameter count
 *   POST /api/translate   {"text": "..."} or {"texts": [...]}, with beam, nbest, lengthPenalty, attention
 */
import { isQuantized } from "../model/quantize.ts";
import { type ModelFolder, seedConfig } from "../io/folder.ts";
import type { Translation } from "../decode/translate.ts";
import { countParams } from "../../lib/tree.ts";
import { ApiError, type ApiLimits, DEFAULT_LIMITS, parseTranslateRequest, type TranslateRequest } from "./api.ts";
import { Batcher } from "./batcher.ts";
import { APP_CSS, APP_JS, PAGE_HTML } from "./page.ts";

/** Settings of the app; all optional. */
export interface AppOptions {
  limits?: ApiLimits;
  /** How long an idle server waits for more requests before it decodes, ms (default 0). */
  windowMs?: number;
  /** Largest request body, bytes. */
  maxBodyBytes?: number;
}

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cache-control": "no-store",
};

function respond(body: string, type: string, status = 200, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, "content-type": type, ...extra } });
}

const json = (value: unknown, status = 200, extra: Record<string, string> = {}) =>
  respond(JSON.stringify(value), "application/json; charset=utf-8", status, extra);

/** One translation as the API answers it. */
function answer(t: Translation, req: TranslateRequest) {
  const out: Record<string, unknown> = {
    source: t.source,
    text: t.text,
    tokens: t.tokens,
    score: t.score,
    logProb: t.logProb,
    truncated: t.truncated,
  };
  if (req.nbest > 1) {
    out.nbest = [
      { text: t.text, score: t.score },
      ...(t.alternatives ?? []).map((a) => ({ text: a.text, score: a.score })),
    ];
  }
  if (t.attention) {
    // The last decoder layer, averaged over heads: row i is the step that produced output token i.
    const last = t.attention[t.attention.length - 1];
    const rows = last.length === 0
      ? []
      : last[0].map((_, i) => last[0][i].map((_, j) => last.reduce((s, head) => s + head[i][j], 0) / last.length));
    // The last row is the step that produced [EOS], when decoding ended there.
    const targetTokens = rows.length > t.tokens.length ? [...t.tokens, "[EOS]"] : t.tokens;
    // The columns are the encoder's positions: [SOS], the source tokens, [EOS].
    const cols = rows[0]?.length ?? 0;
    const sourceTokens = cols === t.sourceTokens.length + 2 ? ["[SOS]", ...t.sourceTokens, "[EOS]"] : t.sourceTokens;
    out.attention = { sourceTokens, targetTokens, weights: rows };
  }
  return out;
}

/** The handler for `Deno.serve`, and its batcher (for counts). */
export function createApp(folder: ModelFolder, options: AppOptions = {}) {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const maxBodyBytes = options.maxBodyBytes ?? 1 << 20;
  const batcher = new Batcher(folder, options.windowMs ?? 0);
  const started = Date.now();
  const { config } = folder.model;
  const modelInfo = {
    config: seedConfig(config),
    srcLang: folder.srcLang,
    tgtLang: folder.tgtLang,
    vocab: { src: folder.srcTokenizer.vocabSize, tgt: folder.tgtTokenizer.vocabSize },
    parameters: countParams(folder.model.params),
    /** How decoding runs: int8 linear layers (--int8), a shortlist of target words (--shortlist). */
    inference: { int8: isQuantized(folder.model), shortlist: folder.shortlist !== undefined },
    limits,
  };

  async function translateRoute(req: Request): Promise<Response> {
    const length = Number(req.headers.get("content-length") ?? "0");
    if (length > maxBodyBytes) throw new ApiError(413, `the body has ${length} bytes, at most ${maxBodyBytes}`);
    const text = await req.text();
    if (text.length > maxBodyBytes) throw new ApiError(413, `the body is over ${maxBodyBytes} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (e) {
      throw new ApiError(400, `invalid JSON: ${(e as Error).message}`);
    }
    const parsed = parseTranslateRequest(body, limits);
    let results: Translation[];
    try {
      results = await batcher.translate(parsed.texts, {
        beam: parsed.beam,
        nbest: parsed.nbest,
        lengthPenalty: parsed.lengthPenalty,
        attention: parsed.attention,
      });
    } catch (e) {
      throw new ApiError(500, `translation failed: ${(e as Error).message}`);
    }
    const answers = results.map((t) => answer(t, parsed));
    return json(parsed.single ? answers[0] : { translations: answers });
  }

  const routes: Record<string, Partial<Record<string, (req: Request) => Response | Promise<Response>>>> = {
    "/": { GET: () => respond(PAGE_HTML, "text/html; charset=utf-8") },
    "/app.js": { GET: () => respond(APP_JS, "text/javascript; charset=utf-8") },
    "/app.css": { GET: () => respond(APP_CSS, "text/css; charset=utf-8") },
    "/api/health": {
      GET: () => json({ status: "ok", uptimeSeconds: (Date.now() - started) / 1000, batching: batcher.stats }),
    },
    "/api/model": { GET: () => json(modelInfo) },
    "/api/translate": { POST: translateRoute },
  };

  async function handler(req: Request): Promise<Response> {
    const route = routes[new URL(req.url).pathname];
    if (!route) return json({ error: "not found" }, 404);
    const method = req.method === "HEAD" ? "GET" : req.method;
    const run = route[method];
    if (!run) {
      return json({ error: `${req.method} is not allowed here` }, 405, { allow: Object.keys(route).join(", ") });
    }
    try {
      return await run(req);
    } catch (e) {
      if (e instanceof ApiError) return json({ error: e.message }, e.status);
      return json({ error: `internal error: ${(e as Error).message}` }, 500);
    }
  }

  return { handler, batcher };
}
