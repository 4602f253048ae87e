/**
 * A model folder's shortlist file, `shortlist.safetensors`: `candidates` i32 [src_vocab, per_word]
 * and `frequent` i32 [n], with what it was measured to cost in the metadata. PyTorch and the
 * Hugging Face loaders ignore the file; `loadModelFolder` does too unless asked for it.
 */
import { tensor } from "../../lib/create.ts";
import { readSafetensors, writeSafetensors } from "../../lib/io/safetensors.ts";
import { scope } from "../../lib/scope.ts";
import { data } from "../../lib/transfer.ts";
import type { Shortlist } from "../decode/shortlist.ts";

export const SHORTLIST_FILE = "shortlist.safetensors";

/** Writes `list` into the folder `dir` (atomically: a temporary file renamed over the old one). */
export function saveShortlist(dir: string, list: Shortlist, metadata: Record<string, string> = {}): void {
  const path = `${dir}/${SHORTLIST_FILE}`;
  scope(() => {
    const candidates = tensor(list.candidates, [list.srcVocab, list.perWord], { dtype: "i32" });
    const frequent = tensor(list.frequent, [list.frequent.length], { dtype: "i32" });
    writeSafetensors(`${path}.tmp`, [["candidates", candidates], ["frequent", frequent]], metadata);
  });
  Deno.renameSync(`${path}.tmp`, path);
}

/** The shortlist of the folder `dir`, or null when it has none; a malformed file is an error naming it. */
export function loadShortlist(dir: string, tgtVocab: number): Shortlist | null {
  const path = `${dir}/${SHORTLIST_FILE}`;
  try {
    Deno.statSync(path);
  } catch {
    return null;
  }
  return scope(() => {
    const { tensors } = readSafetensors(path);
    const candidates = tensors.get("candidates");
    const frequent = tensors.get("frequent");
    const bad = (why: string): never => {
      throw new Error(`${path}: not a shortlist (${why})`);
    };
    if (!candidates || !frequent) bad("it needs the tensors candidates and frequent");
    if (candidates!.dtype !== "i32" || candidates!.rank !== 2) bad("candidates must be i32 [src_vocab, per_word]");
    if (frequent!.dtype !== "i32" || frequent!.rank !== 1) bad("frequent must be i32 [n]");
    const list: Shortlist = {
      srcVocab: candidates!.shape[0],
      perWord: candidates!.shape[1],
      candidates: data(candidates!) as Int32Array,
      frequent: data(frequent!) as Int32Array,
    };
    const outside = (t: number) => t >= tgtVocab || t < 0;
    if (list.candidates.some((t) => t !== -1 && outside(t)) || list.frequent.some(outside)) {
      bad(`a target id is outside the vocabulary [0, ${tgtVocab})`);
    }
    return list;
  });
}
