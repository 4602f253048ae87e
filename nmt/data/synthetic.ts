/**
 * The project's own corpus: English sentences and their Italian translations, generated from a few
 * templates with a consistent rule set (articles and adjectives agree in gender and number,
 * adjectives follow the noun, subject pronouns drop, verbs conjugate, numbers are spelled out).
 * Every sentence is original to this project. Because the mapping is a rule, a model can learn it
 * exactly, which lets tests prove that training works; it is the offline default for training.
 */
import { Prng } from "./prng.ts";

/** One generated sentence pair. */
export interface GeneratedPair {
  /** The English sentence. */
  src: string;
  /** Its Italian translation. */
  tgt: string;
}

type Gender = "m" | "f";
interface Noun {
  en: string;
  enPlural: string;
  it: string;
  itPlural: string;
  gender: Gender;
}

const noun = (en: string, enPlural: string, it: string, itPlural: string, gender: Gender): Noun => ({
  en,
  enPlural,
  it,
  itPlural,
  gender,
});

const NOUNS: Noun[] = [
  noun("cat", "cats", "gatto", "gatti", "m"),
  noun("dog", "dogs", "cane", "cani", "m"),
  noun("book", "books", "libro", "libri", "m"),
  noun("table", "tables", "tavolo", "tavoli", "m"),
  noun("flower", "flowers", "fiore", "fiori", "m"),
  noun("bird", "birds", "uccello", "uccelli", "m"),
  noun("tree", "trees", "albero", "alberi", "m"),
  noun("house", "houses", "casa", "case", "f"),
  noun("car", "cars", "macchina", "macchine", "f"),
  noun("chair", "chairs", "sedia", "sedie", "f"),
  noun("ball", "balls", "palla", "palle", "f"),
  noun("bottle", "bottles", "bottiglia", "bottiglie", "f"),
  noun("apple", "apples", "mela", "mele", "f"),
  noun("door", "doors", "porta", "porte", "f"),
];

/** Adjective forms: masculine singular, feminine singular, masculine plural, feminine plural. */
const COLORS: [string, [string, string, string, string]][] = [
  ["red", ["rosso", "rossa", "rossi", "rosse"]],
  ["black", ["nero", "nera", "neri", "nere"]],
  ["white", ["bianco", "bianca", "bianchi", "bianche"]],
  ["yellow", ["giallo", "gialla", "gialli", "gialle"]],
  ["green", ["verde", "verde", "verdi", "verdi"]],
  ["small", ["piccolo", "piccola", "piccoli", "piccole"]],
  ["big", ["grande", "grande", "grandi", "grandi"]],
];

const NUMBERS: [string, string][] = [
  ["two", "due"],
  ["three", "tre"],
  ["four", "quattro"],
  ["five", "cinque"],
  ["six", "sei"],
  ["seven", "sette"],
  ["eight", "otto"],
  ["nine", "nove"],
  ["ten", "dieci"],
];

/** Subjects and the verb-form index they take (0 io, 1 tu, 2 lui/lei, 3 noi, 4 loro). */
const SUBJECTS: [string, string | null, number][] = [
  ["I", null, 0],
  ["You", null, 1],
  ["We", null, 3],
  ["They", null, 4],
  ["Tom", "Tom", 2],
  ["Anna", "Anna", 2],
  ["Marco", "Marco", 2],
];

/** English base form, English third person, Italian forms (io, tu, lui/lei, noi, loro). */
const VERBS: [string, string, [string, string, string, string, string]][] = [
  ["see", "sees", ["vedo", "vedi", "vede", "vediamo", "vedono"]],
  ["want", "wants", ["voglio", "vuoi", "vuole", "vogliamo", "vogliono"]],
  ["have", "has", ["ho", "hai", "ha", "abbiamo", "hanno"]],
  ["buy", "buys", ["compro", "compri", "compra", "compriamo", "comprano"]],
  ["take", "takes", ["prendo", "prendi", "prende", "prendiamo", "prendono"]],
  ["paint", "paints", ["dipingo", "dipingi", "dipinge", "dipingiamo", "dipingono"]],
];

const PLACES: [string, string][] = [
  ["in the garden", "nel giardino"],
  ["in the kitchen", "in cucina"],
  ["on the bed", "sul letto"],
  ["under the bed", "sotto il letto"],
  ["near the window", "vicino alla finestra"],
  ["behind the house", "dietro la casa"],
];

const startsWithVowel = (word: string) => /^[aeiou]/.test(word);

/** The definite article for a noun form (l' before vowels; gli for masculine plural before vowels). */
function article(n: Noun, plural: boolean): string {
  const word = plural ? n.itPlural : n.it;
  if (!plural) return startsWithVowel(word) ? "l'" : n.gender === "m" ? "il " : "la ";
  if (n.gender === "f") return "le ";
  return startsWithVowel(word) ? "gli " : "i ";
}

const the = (n: Noun, plural = false) => `${article(n, plural)}${plural ? n.itPlural : n.it}`;
const agree = (forms: [string, string, string, string], n: Noun, plural: boolean) =>
  forms[(plural ? 2 : 0) + (n.gender === "f" ? 1 : 0)];
const capital = (s: string) => s[0].toUpperCase() + s.slice(1);

type Template = (r: Prng) => GeneratedPair;

const TEMPLATES: Template[] = [
  // The red cat is in the garden. → Il gatto rosso è nel giardino.
  (r) => {
    const n = r.pick(NOUNS), [c, forms] = r.pick(COLORS), [pe, pi] = r.pick(PLACES);
    return { src: `The ${c} ${n.en} is ${pe}.`, tgt: `${capital(the(n))} ${agree(forms, n, false)} è ${pi}.` };
  },
  // The apples are green. → Le mele sono verdi.
  (r) => {
    const n = r.pick(NOUNS), [c, forms] = r.pick(COLORS), plural = r.next() < 0.5;
    return plural
      ? { src: `The ${n.enPlural} are ${c}.`, tgt: `${capital(the(n, true))} sono ${agree(forms, n, true)}.` }
      : { src: `The ${n.en} is ${c}.`, tgt: `${capital(the(n))} è ${agree(forms, n, false)}.` };
  },
  // We buy four black chairs. → Compriamo quattro sedie nere.
  (r) => {
    const [se, si, person] = r.pick(SUBJECTS), [base, third, forms] = r.pick(VERBS);
    const [ne, ni] = r.pick(NUMBERS), n = r.pick(NOUNS), [c, colors] = r.pick(COLORS);
    const verb = person === 2 ? third : base;
    const it = `${forms[person]} ${ni} ${n.itPlural} ${agree(colors, n, true)}.`;
    return { src: `${se} ${verb} ${ne} ${c} ${n.enPlural}.`, tgt: si ? `${si} ${it}` : capital(it) };
  },
  // Tom takes the white ball. → Tom prende la palla bianca.
  (r) => {
    const [se, si, person] = r.pick(SUBJECTS), [base, third, forms] = r.pick(VERBS);
    const n = r.pick(NOUNS), [c, colors] = r.pick(COLORS);
    const verb = person === 2 ? third : base;
    const it = `${forms[person]} ${the(n)} ${agree(colors, n, false)}.`;
    return { src: `${se} ${verb} the ${c} ${n.en}.`, tgt: si ? `${si} ${it}` : capital(it) };
  },
  // Where are the dogs? → Dove sono i cani?
  (r) => {
    const n = r.pick(NOUNS), plural = r.next() < 0.5;
    return plural
      ? { src: `Where are the ${n.enPlural}?`, tgt: `Dove sono ${the(n, true)}?` }
      : { src: `Where is the ${n.en}?`, tgt: `Dov'è ${the(n)}?` };
  },
];

/**
 * `size` distinct sentence pairs, deterministic in `seed`. Throws a RangeError if `size` is not a
 * non-negative integer or the templates cannot produce that many distinct English sentences.
 *
 * @example
 * ```ts
 * import { syntheticCorpus } from "@deno-torch/torch/nmt";
 * const pairs = syntheticCorpus(3, 7);
 * console.log(pairs[0].src, "→", pairs[0].tgt);
 * ```
 */
export function syntheticCorpus(size: number, seed = 0): GeneratedPair[] {
  if (!Number.isInteger(size) || size < 0) {
    throw new RangeError(`syntheticCorpus: size must be a non-negative integer, got ${size}`);
  }
  const r = new Prng(seed);
  const seen = new Set<string>();
  const out: GeneratedPair[] = [];
  // The templates allow tens of thousands of sentences; a long run of repeats means they are used up.
  for (let repeats = 0; out.length < size;) {
    const pair = r.pick(TEMPLATES)(r);
    if (seen.has(pair.src)) {
      if (++repeats > 20_000) {
        throw new RangeError(`syntheticCorpus: could not find ${size} distinct sentences (found ${out.length})`);
      }
      continue;
    }
    repeats = 0;
    seen.add(pair.src);
    out.push(pair);
  }
  return out;
}
