/**
 * Writing Hugging Face `tokenizer.json` files for the trainers: the layout the reference's
 * `word_level_tokenizer` writes (version 1.0, no truncation, padding, normalizer or post-processor, the
 * `Whitespace` pre-tokenizer, the specials as added tokens), with the model and decoder left to the caller.
 */
import { SPECIAL_TOKENS, TokenizerError } from "./tokenizer.ts";

/** The seed's specials, at ids 0–3. */
export const DEFAULT_SPECIALS: readonly string[] = [
  SPECIAL_TOKENS.unk,
  SPECIAL_TOKENS.pad,
  SPECIAL_TOKENS.sos,
  SPECIAL_TOKENS.eos,
];

/**
 * Checks a trainer's `specials` option: distinct non-empty strings that include the four TextTokenizer
 * needs ([UNK] is also the model's unk_token). Returns a copy; they take ids 0, 1, … in this order.
 */
export function checkSpecials(specials: readonly string[] = DEFAULT_SPECIALS): string[] {
  if (!Array.isArray(specials)) throw new TokenizerError("specials must be an array of strings");
  for (const s of specials) {
    if (typeof s !== "string" || s.length === 0) {
      throw new TokenizerError(`specials must be non-empty strings, got ${JSON.stringify(s)}`);
    }
  }
  if (new Set(specials).size !== specials.length) {
    throw new TokenizerError(`specials must be distinct, got ${JSON.stringify(specials)}`);
  }
  const missing = DEFAULT_SPECIALS.filter((s) => !specials.includes(s));
  if (missing.length > 0) {
    throw new TokenizerError(
      `specials must include ${missing.join(", ")} (TextTokenizer needs [UNK], [PAD], [SOS], [EOS])`,
    );
  }
  return [...specials];
}

/** Checks a minimum frequency option: a whole number ≥ 1. */
export function checkMinFrequency(value: number, name = "minFrequency"): number {
  if (!Number.isInteger(value) || value < 1) throw new TokenizerError(`${name} must be an integer ≥ 1, got ${value}`);
  return value;
}

/** The parts of a tokenizer.json a trainer chooses. */
export type TokenizerJsonParts = {
  /** The specials, written as added tokens; they must be the first entries of `vocab`. */
  specials: readonly string[];
  /** Every token, in id order. */
  vocab: readonly string[];
  /** The model's fields before `vocab` ({ type: "WordLevel", … }) and after it ({ merges }). */
  model: Record<string, unknown>;
  modelTail?: Record<string, unknown>;
  decoder: Record<string, unknown> | null;
};

/**
 * The text of a tokenizer.json. `vocab` is written in id order (its position is the id): a JS object
 * would move integer-like words ("3", "14") to the front, and id order is what the library itself saves.
 */
export function tokenizerJson(parts: TokenizerJsonParts): string {
  const { specials, vocab } = parts;
  specials.forEach((s, id) => {
    if (vocab[id] !== s) throw new Error(`tokenizerJson: special ${s} must be vocabulary entry ${id}`);
  });
  const marker = "\u0000vocab\u0000";
  const document = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: "Whitespace" },
    post_processor: null,
    decoder: parts.decoder,
    model: { ...parts.model, vocab: marker, ...parts.modelTail },
  };
  const vocabText = `{${vocab.map((token, id) => `${JSON.stringify(token)}:${id}`).join(",")}}`;
  // A function replacement, so `$` in a token is not read as a replacement pattern.
  return JSON.stringify(document).replace(JSON.stringify(marker), () => vocabText);
}
