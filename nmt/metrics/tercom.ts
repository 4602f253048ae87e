/**
 * The edit count of TER (Snover et al., 2006) for one hypothesis and one reference, ported from
 * sacreBLEU's `lib_ter.py` (itself a near-exact reimplementation of Tercom) step by step: the greedy
 * block-shift search with Tercom's heuristics and ranking, and the beam-limited Levenshtein distance
 * that drives it. TER is sensitive to every such detail (which shift wins a tie, which alignment the
 * trace gives, the beam, the candidate limits), so nothing here is "simplified": a cleaner algorithm
 * would give other, arguably better, but different numbers than published sacreBLEU TER.
 */

// Tercom's limits: longest block moved, farthest a block start may be from its match, beam half-width.
const MAX_SHIFT_SIZE = 10;
const MAX_SHIFT_DIST = 50;
const BEAM_WIDTH = 25;
// sacreBLEU's own: cached matrix rows per reference, and shift candidates evaluated per sentence.
const MAX_CACHE_SIZE = 10000;
const MAX_SHIFT_CANDIDATES = 1000;

// Edit operations, as the characters of sacreBLEU's traces; "x" marks a cell outside the beam.
type Op = "i" | "d" | " " | "s" | "x";

/** One row of the edit-distance matrix: cost and last operation per reference position 0..n. */
interface Row {
  cost: number[];
  op: Op[];
}

interface CacheNode {
  next: Map<string, { node: CacheNode; row: Row }>;
}

/**
 * Levenshtein distance from a hypothesis to the fixed reference, with the trace of operations,
 * exploring only a band around the (length-ratio) diagonal. Rows are cached in a trie keyed by
 * hypothesis prefixes: shifted hypotheses share long prefixes, and since every hypothesis scored
 * against one reference in one TER computation has the same length, a prefix's rows never change.
 */
class BeamEditDistance {
  readonly #ref: readonly string[];
  readonly #initial: Row;
  readonly #cache: CacheNode = { next: new Map() };
  #cacheSize = 0;

  constructor(ref: readonly string[]) {
    this.#ref = ref;
    // Row 0: reaching reference position j from an empty hypothesis takes j insertions.
    this.#initial = {
      cost: Array.from({ length: ref.length + 1 }, (_, j) => j),
      op: new Array<Op>(ref.length + 1).fill("i"),
    };
  }

  /** [edit distance, trace]; the trace rewrites the hypothesis into the reference. */
  distance(hyp: readonly string[]): [number, string] {
    const rows = [this.#initial];
    let node = this.#cache;
    for (const word of hyp) {
      const hit = node.next.get(word);
      if (hit === undefined) break;
      rows.push(hit.row);
      node = hit.node;
    }
    const cached = rows.length;
    const [dist, trace] = this.#compute(hyp, rows);
    this.#remember(hyp, rows, cached);
    return [dist, trace];
  }

  /** Fills rows cached..n in place (sacreBLEU's _edit_distance) and reads the trace back. */
  #compute(hyp: readonly string[], rows: Row[]): [number, string] {
    const ref = this.#ref, nRef = ref.length, nHyp = hyp.length;
    const lengthRatio = nHyp > 0 ? nRef / nHyp : 1;
    // Very unequal lengths: widen the beam so consecutive rows still overlap.
    const beam = BEAM_WIDTH < lengthRatio / 2 ? Math.ceil(lengthRatio / 2 + BEAM_WIDTH) : BEAM_WIDTH;
    for (let i = rows.length; i <= nHyp; i++) {
      const prev = rows[i - 1];
      const row: Row = { cost: new Array(nRef + 1).fill(Infinity), op: new Array<Op>(nRef + 1).fill("x") };
      const diagonal = Math.floor(i * lengthRatio);
      const minJ = Math.max(0, diagonal - beam);
      // The last row is always complete, so the final cell is reachable.
      const maxJ = i === nHyp ? nRef + 1 : Math.min(nRef + 1, diagonal + beam);
      for (let j = minJ; j < maxJ; j++) {
        if (j === 0) {
          row.cost[0] = prev.cost[0] + 1;
          row.op[0] = "d";
          continue;
        }
        const same = hyp[i - 1] === ref[j - 1];
        // Tercom prefers match/substitution, then insertion, then deletion; the trace is flipped
        // later, so deletion is tried before insertion here. Strictly lower cost wins.
        const options: [number, Op][] = [
          [prev.cost[j - 1] + (same ? 0 : 1), same ? " " : "s"],
          [prev.cost[j] + 1, "d"],
          [row.cost[j - 1] + 1, "i"],
        ];
        for (const [cost, op] of options) {
          if (row.cost[j] > cost) {
            row.cost[j] = cost;
            row.op[j] = op;
          }
        }
      }
      rows.push(row);
    }
    let trace = "";
    for (let i = nHyp, j = nRef; i > 0 || j > 0;) {
      const op = rows[i].op[j];
      trace = op + trace;
      if (op === " " || op === "s") [i, j] = [i - 1, j - 1];
      else if (op === "i") j--;
      else if (op === "d") i--;
      else throw new Error(`TER: edit trace left the beam at (${i}, ${j})`); // sacreBLEU raises too
    }
    return [rows[nHyp].cost[nRef], trace];
  }

  /** Stores the newly computed rows (sacreBLEU's _add_cache, same size limit). */
  #remember(hyp: readonly string[], rows: readonly Row[], cached: number): void {
    if (this.#cacheSize >= MAX_CACHE_SIZE) return;
    let node = this.#cache;
    for (let i = 0; i < cached - 1; i++) node = node.next.get(hyp[i])!.node;
    for (let i = cached - 1; i < hyp.length; i++) {
      let entry = node.next.get(hyp[i]);
      if (entry === undefined) {
        entry = { node: { next: new Map() }, row: rows[i + 1] };
        node.next.set(hyp[i], entry);
        this.#cacheSize++;
      }
      node = entry.node;
    }
  }
}

/**
 * Alignment from a trace that rewrites the reference into the hypothesis: for each reference
 * position, the hypothesis position it aligns to (the previous one for a deleted word), and which
 * positions on either side are errors.
 */
function traceToAlignment(trace: string): { align: number[]; refErr: number[]; hypErr: number[] } {
  let posHyp = -1, posRef = -1;
  const align: number[] = [], refErr: number[] = [], hypErr: number[] = [];
  for (const op of trace) {
    if (op === " " || op === "s") {
      align[++posRef] = ++posHyp;
      const err = op === "s" ? 1 : 0;
      hypErr.push(err);
      refErr.push(err);
    } else if (op === "i") {
      posHyp++;
      hypErr.push(1);
    } else if (op === "d") {
      align[++posRef] = posHyp;
      refErr.push(1);
    } else throw new Error(`TER: unknown edit operation ${JSON.stringify(op)}`);
  }
  return { align, refErr, hypErr };
}

/** Flips insertions and deletions: the distance rewrites hypothesis → reference, alignment wants the reverse. */
function flipTrace(trace: string): string {
  return trace.replace(/[id]/g, (op) => op === "i" ? "d" : "i");
}

/**
 * Every (hypothesis start, reference start, length) whose word blocks are equal, lengths 1..10 in
 * increasing order, starts at most 50 apart; the order matters because ties keep the first found.
 */
function* shiftedPairs(hyp: readonly string[], ref: readonly string[]): Generator<[number, number, number]> {
  for (let startH = 0; startH < hyp.length; startH++) {
    for (let startR = 0; startR < ref.length; startR++) {
      if (Math.abs(startR - startH) > MAX_SHIFT_DIST) continue;
      let length = 0;
      while (hyp[startH + length] === ref[startR + length] && length < MAX_SHIFT_SIZE) {
        length++;
        yield [startH, startR, length];
        if (hyp.length === startH + length || ref.length === startR + length) break;
      }
    }
  }
}

/** Moves words[start, start + length) so that it starts before position `target` of the original. */
function performShift(words: readonly string[], start: number, length: number, target: number): string[] {
  if (target < start) {
    return [
      ...words.slice(0, target),
      ...words.slice(start, start + length),
      ...words.slice(target, start),
      ...words.slice(start + length),
    ];
  }
  if (target > start + length) {
    return [
      ...words.slice(0, start),
      ...words.slice(start + length, target),
      ...words.slice(start, start + length),
      ...words.slice(target),
    ];
  }
  // Kept as sacreBLEU writes it (Python slices clamp like JS's slice).
  return [
    ...words.slice(0, start),
    ...words.slice(start + length, length + target),
    ...words.slice(start, start + length),
    ...words.slice(length + target),
  ];
}

function sum(xs: readonly number[], from: number, to: number): number {
  let s = 0;
  for (let k = from; k < Math.min(to, xs.length); k++) s += xs[k];
  return s;
}

/** Tercom's ranking: larger gain, then longer block, then earlier block, then earlier target. */
type Rank = [gain: number, length: number, negStart: number, negTarget: number];

function better(a: Rank, b: Rank): boolean {
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return a[k] > b[k];
  return false;
}

/** sacreBLEU's _shift: the best single block shift, its gain (≤ 0: none helps), and the candidate count. */
function bestShift(
  hyp: readonly string[],
  ref: readonly string[],
  ed: BeamEditDistance,
  checked: number,
): { gain: number; words: readonly string[]; checked: number } {
  const [before, inverseTrace] = ed.distance(hyp);
  const { align, refErr, hypErr } = traceToAlignment(flipTrace(inverseTrace));
  let best: { rank: Rank; words: string[] } | null = null;
  for (const [startH, startR, length] of shiftedPairs(hyp, ref)) {
    // Only shift a block that is wrong where it is and matches a wrong spot in the reference.
    if (sum(hypErr, startH, startH + length) === 0) continue;
    if (sum(refErr, startR, startR + length) === 0) continue;
    // Not onto itself.
    if (startH <= align[startR] && align[startR] < startH + length) continue;
    let prevIdx = -1;
    for (let offset = -1; offset < length; offset++) {
      let idx: number;
      if (startR + offset === -1) idx = 0; // before the beginning
      else if (startR + offset < align.length) idx = align[startR + offset] + 1; // before, unlike Tercom's after
      else break;
      if (idx === prevIdx) continue;
      prevIdx = idx;
      const shifted = performShift(hyp, startH, length, idx);
      if (shifted.length !== hyp.length) throw new Error("TER: a shift changed the hypothesis length"); // sacreBLEU asserts
      const rank: Rank = [before - ed.distance(shifted)[0], length, -startH, -idx];
      checked++;
      if (best === null || better(rank, best.rank)) best = { rank, words: shifted };
    }
    if (checked >= MAX_SHIFT_CANDIDATES) break;
  }
  return best === null ? { gain: 0, words: hyp, checked } : { gain: best.rank[0], words: best.words, checked };
}

/**
 * TER's edit count for one hypothesis against one reference (both already tokenized into words):
 * block shifts, applied greedily while one lowers the edit distance, plus the remaining insertions,
 * deletions and substitutions. Returns it with the reference length; an empty reference costs one
 * edit per hypothesis word.
 */
export function terEdits(hyp: readonly string[], ref: readonly string[]): { edits: number; refLen: number } {
  if (ref.length === 0) return { edits: hyp.length, refLen: 0 };
  const ed = new BeamEditDistance(ref);
  let shifts = 0, words = hyp, checked = 0;
  for (;;) {
    const step = bestShift(words, ref, ed, checked);
    checked = step.checked;
    // As in sacreBLEU, reaching the candidate limit drops even the shift just found.
    if (checked >= MAX_SHIFT_CANDIDATES || step.gain <= 0) break;
    shifts++;
    words = step.words;
  }
  return { edits: shifts + ed.distance(words)[0], refLen: ref.length };
}
