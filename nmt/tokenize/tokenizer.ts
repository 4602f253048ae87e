/**
 * Tokenizers in Hugging Face's `tokenizer.json` format, run by Hugging Face's own `tokenizers`
 * library (npm), so ids agree with the Python side by construction. The seed's tokenizers are
 * word-level with the Whitespace pre-tokenizer and the specials [UNK]=0, [PAD]=1, [SOS]=2, [EOS]=3.
 */
// Inline specifier on purpose: projects that import mod.ts by URL do not see this project's import map.
// deno-lint-ignore no-import-prefix
import { Tokenizer as HfTokenizer } from "npm:tokenizers@0.23.2";

/**
 * The special token strings every tokenizer here must have: unknown word, padding, start and end of
 * sequence. Their ids are looked up per tokenizer ({@link TextTokenizer.special}).
 *
 * @example
 * ```ts
 * import { SPECIAL_TOKENS } from "@deno-torch/torch/nmt";
 * SPECIAL_TOKENS.eos; // "[EOS]"
 * ```
 */
export const SPECIAL_TOKENS = { unk: "[UNK]", pad: "[PAD]", sos: "[SOS]", eos: "[EOS]" } as const;
/** The ids of the four special tokens in one tokenizer's vocabulary. */
export type SpecialIds = { unk: number; pad: number; sos: number; eos: number };

/**
 * The error thrown for tokenizer problems: an unreadable or malformed `tokenizer.json`, a missing
 * special token, invalid training options. The message names the file or setting at fault.
 *
 * @example
 * ```ts
 * import { TextTokenizer, TokenizerError } from "@deno-torch/torch/nmt";
 * try {
 *   TextTokenizer.fromFile("missing/tokenizer.json");
 * } catch (e) {
 *   if (e instanceof TokenizerError) console.error(e.message);
 * }
 * ```
 */
export class TokenizerError extends Error {
  /** A TokenizerError with the given message (its `name` is "TokenizerError"). */
  constructor(message: string) {
    super(message);
    this.name = "TokenizerError";
  }
}

/**
 * A loaded `tokenizer.json` (word-level or BPE): encodes text to ids and decodes ids back, through
 * Hugging Face's `tokenizers` library so ids match the Python side. Create one with
 * {@link TextTokenizer.fromFile} or {@link TextTokenizer.fromJSON}; loading throws a TokenizerError
 * when the file is unreadable, invalid, or lacks one of the {@link SPECIAL_TOKENS}.
 *
 * @example
 * ```ts
 * import { TextTokenizer } from "@deno-torch/torch/nmt";
 * const tok = TextTokenizer.fromFile("runs/en-it/tokenizer_en.json");
 * const ids = await tok.encode("Hello, world.");
 * console.log(tok.tokens(ids), await tok.decode(ids));
 * ```
 */
export class TextTokenizer {
  /** The ids of [UNK], [PAD], [SOS] and [EOS] in this tokenizer's vocabulary. */
  readonly special: SpecialIds;
  readonly #specialSet: Set<number>;

  private constructor(
    /**
     * The underlying `tokenizers` library object, for what this class does not wrap. Its type is the
     * npm package's, so it is left out of the documented API.
     *
     * @internal
     */
    readonly hf: HfTokenizer,
    /** The file (or label) the tokenizer was loaded from, as error messages name it. */
    readonly source: string,
    /** The full `tokenizer.json` text, written back unchanged by {@link TextTokenizer.save}. */
    readonly json: string,
  ) {
    const id = (token: string): number => {
      const v = hf.tokenToId(token);
      if (v === null || v === undefined) {
        throw new TokenizerError(`${source}: the special token ${token} is missing from the vocabulary`);
      }
      return v;
    };
    this.special = {
      unk: id(SPECIAL_TOKENS.unk),
      pad: id(SPECIAL_TOKENS.pad),
      sos: id(SPECIAL_TOKENS.sos),
      eos: id(SPECIAL_TOKENS.eos),
    };
    this.#specialSet = new Set(Object.values(this.special));
  }

  /** Loads a `tokenizer.json` file; a missing or malformed file gives a TokenizerError naming it. */
  static fromFile(path: string): TextTokenizer {
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (e) {
      throw new TokenizerError(`cannot read tokenizer ${path}: ${(e as Error).message}`);
    }
    return TextTokenizer.fromJSON(text, path);
  }

  /** A tokenizer from the text of a `tokenizer.json`. */
  static fromJSON(json: string, source = "<tokenizer.json>"): TextTokenizer {
    try {
      JSON.parse(json);
    } catch (e) {
      throw new TokenizerError(`${source} is not valid JSON: ${(e as Error).message}`);
    }
    let hf: HfTokenizer;
    try {
      hf = HfTokenizer.fromString(json);
    } catch (e) {
      throw new TokenizerError(`${source} is not a tokenizer the tokenizers library can load: ${(e as Error).message}`);
    }
    return new TextTokenizer(hf, source, json);
  }

  /** Number of tokens in the vocabulary, specials included (so ids run from 0 to vocabSize − 1). */
  get vocabSize(): number {
    return this.hf.getVocabSize(true);
  }

  /** Token ids of `text` (no specials added). */
  async encode(text: string): Promise<number[]> {
    return (await this.hf.encode(text)).getIds();
  }

  /** Token ids of each text, in order (no specials added); faster than encoding one at a time. */
  async encodeBatch(texts: string[]): Promise<number[][]> {
    return (await this.hf.encodeBatch(texts)).map((e) => e.getIds());
  }

  /** The token string of an id (undefined outside the vocabulary). */
  token(id: number): string | undefined {
    return this.hf.idToToken(id) ?? undefined;
  }

  /** The id of a token string (undefined when it is not in the vocabulary). */
  id(token: string): number | undefined {
    return this.hf.tokenToId(token) ?? undefined;
  }

  /** Whether `id` is one of the four special tokens ([UNK] included). */
  isSpecial(id: number): boolean {
    return this.#specialSet.has(id);
  }

  /** Token strings for ids, without specials: what a translation prints. */
  tokens(ids: readonly number[]): string[] {
    const out: string[] = [];
    for (const id of ids) {
      if (this.isSpecial(id)) continue;
      out.push(this.token(id) ?? SPECIAL_TOKENS.unk);
    }
    return out;
  }

  /**
   * The text of ids, by the library's decoder, specials skipped: tokens joined by spaces for word-level
   * tokenizers (no decoder), words rebuilt from `</w>` subwords for BPE ones (the `BPEDecoder`).
   */
  async decode(ids: readonly number[]): Promise<string> {
    return await this.hf.decode([...ids], true);
  }

  /** Writes the `tokenizer.json` text this tokenizer was loaded from. */
  async save(path: string): Promise<void> {
    await Deno.writeTextFile(path, this.json);
  }
}
