/**
 * The JSON API's requests, checked before any work: every problem is an `ApiError` with the HTTP
 * status to answer and a message naming the field, so bad input is answered and never fatal.
 */
import type { LengthPenalty } from "../decode/beam.ts";
import { parseLengthPenalty } from "../decode/parse_length_penalty.ts";

/** Limits on one request, documented in the README and in `deno task serve --help`. */
export interface ApiLimits {
  /** Most characters in one text. */
  maxChars: number;
  /** Most texts in one request. */
  maxTexts: number;
  /** Largest beam. */
  maxBeam: number;
}

/** The defaults: generous for people, small enough that one request cannot hold the server for long. */
export const DEFAULT_LIMITS: ApiLimits = { maxChars: 1000, maxTexts: 64, maxBeam: 8 };

/** A client error (4xx) or a server error (5xx), answered as `{"error": message}`. */
export class ApiError extends Error {
  /** The HTTP status to answer with. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** A checked `POST /api/translate` body. */
export interface TranslateRequest {
  /** The texts to translate (one for `{"text"}`, several for `{"texts"}`). */
  texts: string[];
  /** Whether the request gave `text` (answer one object) or `texts` (answer a list). */
  single: boolean;
  /** 1 = greedy. */
  beam: number;
  /** Hypotheses answered per text (≤ beam). */
  nbest: number;
  lengthPenalty: LengthPenalty;
  /** Also answer the cross-attention maps (one text only). */
  attention: boolean;
}

const FIELDS = new Set(["text", "texts", "beam", "nbest", "lengthPenalty", "attention"]);

function positiveInt(body: Record<string, unknown>, name: string, fallback: number, max: number): number {
  const v = body[name];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    throw new ApiError(400, `"${name}" must be an integer from 1 to ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** Checks a parsed JSON body against the limits; throws `ApiError(400, …)` naming what is wrong. */
export function parseTranslateRequest(body: unknown, limits: ApiLimits = DEFAULT_LIMITS): TranslateRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError(400, 'the body must be a JSON object such as {"text": "Hello."}');
  }
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !FIELDS.has(k));
  if (unknown.length > 0) {
    throw new ApiError(
      400,
      `unknown field(s) ${unknown.map((k) => `"${k}"`).join(", ")}; known: ${[...FIELDS].join(", ")}`,
    );
  }
  if ((b.text === undefined) === (b.texts === undefined)) {
    throw new ApiError(400, 'give exactly one of "text" or "texts"');
  }
  const single = b.text !== undefined;
  const texts = single ? [b.text] : b.texts;
  if (!Array.isArray(texts)) throw new ApiError(400, '"texts" must be an array of strings');
  if (texts.length === 0) throw new ApiError(400, '"texts" is empty');
  if (texts.length > limits.maxTexts) {
    throw new ApiError(413, `too many texts: ${texts.length}, at most ${limits.maxTexts} per request`);
  }
  texts.forEach((t, i) => {
    const where = single ? '"text"' : `"texts"[${i}]`;
    if (typeof t !== "string") throw new ApiError(400, `${where} must be a string, got ${JSON.stringify(t)}`);
    if (t.trim() === "") throw new ApiError(400, `${where} is empty`);
    if (t.length > limits.maxChars) {
      throw new ApiError(413, `${where} has ${t.length} characters, at most ${limits.maxChars}`);
    }
  });
  const beam = positiveInt(b, "beam", 1, limits.maxBeam);
  const nbest = positiveInt(b, "nbest", 1, beam);
  if (b.lengthPenalty !== undefined && typeof b.lengthPenalty !== "string") {
    throw new ApiError(400, '"lengthPenalty" must be a string: none, average or gnmt:ALPHA');
  }
  let lengthPenalty: LengthPenalty;
  try {
    lengthPenalty = parseLengthPenalty(b.lengthPenalty as string | undefined, beam, '"lengthPenalty"');
  } catch (e) {
    throw new ApiError(400, (e as Error).message);
  }
  if (b.attention !== undefined && typeof b.attention !== "boolean") {
    throw new ApiError(400, '"attention" must be true or false');
  }
  const attention = b.attention === true;
  if (attention && texts.length > 1) throw new ApiError(400, '"attention" is available for one text at a time');
  return { texts: texts as string[], single, beam, nbest, lengthPenalty, attention };
}
