/**
 * `einsum`: Einstein summation over a string equation, with the equation parsed twice: by the type
 * checker (template literal types), which computes the result's shape from the operands' types and
 * turns a mismatch into a compile error that says what is wrong, and at run time, with the same rules
 * and the same messages, before anything reaches libtorch.
 *
 * The rules are torch's: subscripts are letters (A-Z before a-z), one `...` per operand stands for
 * any number of dimensions (broadcast across operands), a letter's sizes must agree or be 1
 * (broadcasting), spaces are ignored. Without `->` the output is the `...` dimensions, then the
 * letters that appear exactly once, in alphabetical order; with it, the letters written there.
 *
 * @module
 */
import { sym } from "../../ffi/lib.ts";
import { ShapeError } from "../errors.ts";
import type { BroadcastDim, BroadcastOrError, Check, Dim, Fmt, FormatShape, SameDim, Shape, Tuple } from "../shape.ts";
import { formatShape } from "../shape.ts";
import { handleList, handleOf, type Tensor, wrap } from "../tensor.ts";
import { broadcastShapes, sameDevice } from "./check.ts";

// ---- the equation at the type level ----

/** Every subscript letter as one string, in ASCII order. */
export type EinsumAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** The characters of a string as a tuple. */
export type EinsumChars<S extends string, Acc extends string[] = []> = S extends `${infer C}${infer R}`
  ? EinsumChars<R, [...Acc, C]>
  : Acc;
/** Every subscript letter, in the order torch's implicit output sorts them (ASCII: A-Z, then a-z). */
export type EinsumLetters = EinsumChars<EinsumAlphabet>;
/** One subscript letter. */
export type EinsumLetter = EinsumLetters[number];

/** An equation without its spaces (torch ignores them). */
export type EinsumNoSpaces<S extends string> = S extends `${infer A} ${infer B}` ? EinsumNoSpaces<`${A}${B}`> : S;
/** The operands' subscripts: the part before `->` split at commas. */
export type EinsumOperands<S extends string, Acc extends string[] = []> = S extends `${infer H},${infer R}`
  ? EinsumOperands<R, [...Acc, H]>
  : [...Acc, S];
/** One operand's subscripts as tokens: letters and `...`, or an error message. */
export type EinsumTokens<S extends string, Acc extends string[] = []> = S extends `...${infer R}`
  ? EinsumTokens<R, [...Acc, "..."]>
  : S extends `${infer C}${infer R}`
    ? C extends EinsumLetter ? EinsumTokens<R, [...Acc, C]> : `einsum: "${C}" in the equation is not a subscript letter`
  : Acc;

/** One subscript letter and the size it stands for. */
export type EinsumEntry = [string, Dim];
/** `S` split after its first `N` dimensions. */
export type SplitShapeFront<S extends Shape, N extends number, Acc extends Dim[] = []> = Acc["length"] extends N
  ? [Acc, S]
  : S extends readonly [infer H extends Dim, ...infer R extends Shape] ? SplitShapeFront<R, N, [...Acc, H]>
  : never;
/** `S` split before its last `N` dimensions. */
export type SplitShapeBack<S extends Shape, N extends number, Acc extends Dim[] = []> = Acc["length"] extends N
  ? [S, Acc]
  : S extends readonly [...infer F extends Shape, infer L extends Dim] ? SplitShapeBack<F, N, [L, ...Acc]>
  : never;
/** Letters paired with the dimensions they name, in order. */
export type EinsumZip<L extends string[], S extends Shape, Acc extends EinsumEntry[] = []> = L extends
  [infer H extends string, ...infer R extends string[]]
  ? S extends readonly [infer D extends Dim, ...infer SR extends Shape] ? EinsumZip<R, SR, [...Acc, [H, D]]> : Acc
  : Acc;
/** The tokens before `...`. */
export type EinsumBefore<T extends string[], Acc extends string[] = []> = T extends
  [infer H extends string, ...infer R extends string[]] ? H extends "..." ? Acc : EinsumBefore<R, [...Acc, H]>
  : Acc;
/** The tokens after `...`. */
export type EinsumAfter<T extends string[]> = T extends [infer H extends string, ...infer R extends string[]]
  ? H extends "..." ? R : EinsumAfter<R>
  : [];
/** How many times `X` occurs in `T`. */
export type EinsumCount<T extends string[], X extends string, Acc extends unknown[] = []> = T extends
  [infer H extends string, ...infer R extends string[]] ? EinsumCount<R, X, H extends X ? [...Acc, H] : Acc>
  : Acc["length"];
/** Whether a rank `N` is at least `M` (tuple lengths). */
export type RankAtLeast<N extends number, M extends number> = Tuple<N> extends [...Tuple<M>, ...unknown[]] ? true
  : false;

/** What one operand binds: its letters' sizes and its `...` dimensions, or an error message. */
export type EinsumBound = { entries: EinsumEntry[]; ellipsis: Shape };
/** One operand's subscripts bound to its shape, or an error message naming operand `I`. */
export type EinsumBindOperand<Sub extends string, S extends Shape, I extends number> = EinsumTokens<Sub> extends
  infer T extends string[]
  ? EinsumCount<T, "..."> extends 0 ? S["length"] extends T["length"] ? { entries: EinsumZip<T, S>; ellipsis: [] }
    : `einsum: operand ${I} has subscripts "${Sub}" for ${T["length"]} dimensions, got shape ${FormatShape<S>}`
  : EinsumCount<T, "..."> extends 1 ? EinsumBindEllipsis<EinsumBefore<T>, EinsumAfter<T>, Sub, S, I>
  : `einsum: operand ${I} has more than one "..."`
  : EinsumTokens<Sub>;
/** An operand with `...`: letters bound at both ends, the middle dimensions returned as the ellipsis. */
export type EinsumBindEllipsis<
  Pre extends string[],
  Post extends string[],
  Sub extends string,
  S extends Shape,
  I extends number,
> = RankAtLeast<S["length"], [...Pre, ...Post]["length"]> extends true
  ? SplitShapeFront<S, Pre["length"]> extends [infer F extends Shape, infer Rest extends Shape]
    ? SplitShapeBack<Rest, Post["length"]> extends [infer Mid extends Shape, infer B extends Shape]
      ? { entries: [...EinsumZip<Pre, F>, ...EinsumZip<Post, B>]; ellipsis: Mid }
    : never
  : never
  : `einsum: operand ${I} has subscripts "${Sub}" for at least ${[
    ...Pre,
    ...Post,
  ]["length"]} dimensions, got shape ${FormatShape<
    S
  >}`;

/** A letter's size so far merged with another sighting: they agree or one is 1, else an error message. */
export type EinsumMerge<M extends EinsumEntry[], L extends string, D extends Dim, Acc extends EinsumEntry[] = []> =
  M extends [infer E extends EinsumEntry, ...infer R extends EinsumEntry[]]
    ? E[0] extends L ? E[1] extends 1 ? [...Acc, [L, D], ...R]
      : D extends 1 ? [...Acc, E, ...R]
      : SameDim<E[1], D> extends true ? [...Acc, [L, BroadcastDim<E[1], D>], ...R]
      : `einsum: subscript "${L}" has sizes ${Fmt<E[1]>} and ${Fmt<D>}`
    : EinsumMerge<R, L, D, [...Acc, E]>
    : [...Acc, [L, D]];
/** Every entry of `New` merged into `M` (or the first error message). */
export type EinsumMergeAll<M extends EinsumEntry[], New extends EinsumEntry[]> = New extends
  [infer E extends EinsumEntry, ...infer R extends EinsumEntry[]]
  ? EinsumMerge<M, E[0], E[1]> extends infer Next extends EinsumEntry[] ? EinsumMergeAll<Next, R>
  : EinsumMerge<M, E[0], E[1]>
  : M;

/** Every operand bound and merged: the letters' sizes, every letter seen (with repeats), the `...` shape. */
export type EinsumBindAll<
  Subs extends string[],
  Shapes extends readonly Shape[],
  M extends EinsumEntry[] = [],
  Seen extends string[] = [],
  Ell extends Shape = [],
  I extends unknown[] = [],
> = Subs extends [infer Sub extends string, ...infer RestSubs extends string[]]
  ? Shapes extends readonly [infer S extends Shape, ...infer RestShapes extends readonly Shape[]]
    ? EinsumBindOperand<Sub, S, I["length"]> extends infer B
      ? B extends EinsumBound
        ? EinsumMergeAll<M, B["entries"]> extends infer Next extends EinsumEntry[]
          ? BroadcastOrError<Ell, B["ellipsis"]> extends infer E extends Shape
            ? EinsumBindAll<RestSubs, RestShapes, Next, [...Seen, ...EinsumLettersOf<B["entries"]>], E, [...I, unknown]>
          : `einsum: the "..." dimensions ${FormatShape<Ell>} and ${FormatShape<B["ellipsis"]>} do not broadcast`
        : EinsumMergeAll<M, B["entries"]>
      : B
    : never
  : never
  : { map: M; seen: Seen; ellipsis: Ell };
/** The letters of a list of entries. */
export type EinsumLettersOf<E extends EinsumEntry[]> = { [K in keyof E]: E[K][0] };
/** The size bound to letter `L`. */
export type EinsumLookup<M extends EinsumEntry[], L extends string> = M extends
  [infer E extends EinsumEntry, ...infer R extends EinsumEntry[]] ? E[0] extends L ? E[1] : EinsumLookup<R, L>
  : never;
/** What all operands bind together: the letters' sizes, every letter seen, the `...` shape. */
export type EinsumBinding = { map: EinsumEntry[]; seen: string[]; ellipsis: Shape };

/** Torch's implicit output: the `...` dimensions, then the letters seen exactly once, alphabetically. */
export type EinsumImplicit<B extends EinsumBinding, Letters extends string[] = EinsumLetters, Acc extends Dim[] = []> =
  Letters extends [infer L extends string, ...infer R extends string[]]
    ? EinsumImplicit<B, R, EinsumCount<B["seen"], L> extends 1 ? [...Acc, EinsumLookup<B["map"], L>] : Acc>
    : [...B["ellipsis"], ...Acc];
/** The output written after `->`, checked: letters seen in an operand, each once, `...` at most once. */
export type EinsumExplicit<
  B extends EinsumBinding,
  Out extends string[],
  All extends string[] = Out,
  Acc extends Dim[] = [],
> = Out extends [infer L extends string, ...infer R extends string[]]
  ? L extends "..." ? EinsumCount<All, "..."> extends 1 ? EinsumExplicit<B, R, All, [...Acc, ...B["ellipsis"]]>
    : `einsum: the output has more than one "..."`
  : EinsumCount<All, L> extends 1
    ? EinsumCount<B["seen"], L> extends 0 ? `einsum: output subscript "${L}" does not appear in any operand`
    : EinsumExplicit<B, R, All, [...Acc, EinsumLookup<B["map"], L>]>
  : `einsum: output subscript "${L}" appears more than once`
  : Acc;

/** The compile-time shapes of a tuple of tensors. */
export type ShapesOf<Ts extends readonly Tensor[]> = { [K in keyof Ts]: Ts[K] extends Tensor<infer S> ? S : never };
/** Whether any of the shapes has an unknown rank (then the result is just `Shape`). */
export type AnyUnknownRank<Shapes extends readonly Shape[]> = true extends
  { [K in keyof Shapes]: number extends Shapes[K]["length"] ? true : false }[number] ? true : false;

/** The shape `einsum(E, ...operands)` gives for operand shapes `Shapes`, or an error message. */
export type EinsumOrError<E extends string, Shapes extends readonly Shape[]> = string extends E ? Shape
  : number extends Shapes["length"] ? Shape
  : AnyUnknownRank<Shapes> extends true ? Shape
  : EinsumNoSpaces<E> extends `${infer In}->${infer Out}` ? EinsumWith<EinsumOperands<In>, Shapes, Out>
  : EinsumWith<EinsumOperands<EinsumNoSpaces<E>>, Shapes, null>;
/** The result shape for parsed operand subscripts and an output (`null` for the implicit one), or an error message. */
export type EinsumWith<Subs extends string[], Shapes extends readonly Shape[], Out extends string | null> =
  Subs["length"] extends Shapes["length"]
    ? EinsumBindAll<Subs, Shapes> extends infer B
      ? B extends EinsumBinding
        ? Out extends string
          ? EinsumTokens<Out> extends infer T extends string[] ? EinsumExplicit<B, T> : EinsumTokens<Out>
        : EinsumImplicit<B>
      : B
    : never
    : `einsum: the equation has ${Subs["length"]} operand(s), got ${Shapes["length"]} tensor(s)`;

/** The shape `einsum(E, ...operands)` returns (`Shape` when it cannot be computed or does not fit). */
export type Einsum<E extends string, Shapes extends readonly Shape[]> = EinsumOrError<E, Shapes> extends
  infer R extends Shape ? R : Shape;
/**
 * Intersected into `einsum`'s equation, rejects at compile time an equation that does not fit the
 * operands (their number, their ranks, a letter's sizes), with the reason in the error text.
 */
export type EinsumCheck<E extends string, Shapes extends readonly Shape[]> = Check<EinsumOrError<E, Shapes>>;

// ---- the equation at run time ----

const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** The equation goes to native code as a NUL-terminated C string (checked to be letters, commas, dots, ->). */
const utf8 = new TextEncoder();

/** One operand's subscripts as tokens (letters and "..."), checked as `Tokens` checks them. */
function tokens(sub: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sub.length;) {
    if (sub.startsWith("...", i)) {
      out.push("...");
      i += 3;
    } else {
      if (!LETTERS.includes(sub[i])) {
        throw new ShapeError("einsum", `"${sub[i]}" in the equation is not a subscript letter`);
      }
      out.push(sub[i]);
      i += 1;
    }
  }
  return out;
}

/** The result shape of `einsum(equation, ...shapes)`; throws what `EinsumOrError` reports. */
export function einsumShape(equation: string, shapes: readonly (readonly number[])[]): number[] {
  const op = "einsum";
  const eq = equation.replaceAll(" ", "");
  const arrow = eq.indexOf("->");
  const subs = (arrow >= 0 ? eq.slice(0, arrow) : eq).split(",");
  if (subs.length !== shapes.length) {
    throw new ShapeError(op, `the equation has ${subs.length} operand(s), got ${shapes.length} tensor(s)`);
  }
  const sizes = new Map<string, number>();
  const seen = new Map<string, number>();
  let ellipsis: number[] = [];
  subs.forEach((sub, i) => {
    const t = tokens(sub);
    const s = shapes[i];
    const dots = t.filter((x) => x === "...").length;
    if (dots > 1) throw new ShapeError(op, `operand ${i} has more than one "..."`);
    const letters = t.length - dots;
    if (dots === 0 ? s.length !== letters : s.length < letters) {
      const need = dots === 0 ? `${letters}` : `at least ${letters}`;
      throw new ShapeError(
        op,
        `operand ${i} has subscripts "${sub}" for ${need} dimensions, got shape ${formatShape(s)}`,
      );
    }
    const at = t.indexOf("...");
    const pre = at < 0 ? t : t.slice(0, at);
    const post = at < 0 ? [] : t.slice(at + 1);
    const bind = (letter: string, size: number) => {
      seen.set(letter, (seen.get(letter) ?? 0) + 1);
      const known = sizes.get(letter);
      if (known === undefined || known === 1) sizes.set(letter, size);
      else if (size !== 1 && size !== known) {
        throw new ShapeError(op, `subscript "${letter}" has sizes ${known} and ${size}`);
      }
    };
    pre.forEach((l, j) => bind(l, s[j]));
    post.forEach((l, j) => bind(l, s[s.length - post.length + j]));
    if (at >= 0) {
      const mid = s.slice(pre.length, s.length - post.length);
      try {
        ellipsis = broadcastShapes(ellipsis, mid, op);
      } catch {
        throw new ShapeError(
          op,
          `the "..." dimensions ${formatShape(ellipsis)} and ${formatShape(mid)} do not broadcast`,
        );
      }
    }
  });
  if (arrow < 0) {
    const once = [...LETTERS].filter((l) => seen.get(l) === 1);
    return [...ellipsis, ...once.map((l) => sizes.get(l)!)];
  }
  const out = tokens(eq.slice(arrow + 2));
  const result: number[] = [];
  for (const l of out) {
    const count = out.filter((x) => x === l).length;
    if (l === "...") {
      if (count > 1) throw new ShapeError(op, `the output has more than one "..."`);
      result.push(...ellipsis);
    } else if (count > 1) {
      throw new ShapeError(op, `output subscript "${l}" appears more than once`);
    } else if (!seen.has(l)) {
      throw new ShapeError(op, `output subscript "${l}" does not appear in any operand`);
    } else {
      result.push(sizes.get(l)!);
    }
  }
  return result;
}

/**
 * Einstein summation, as `torch.einsum`: `equation` names each operand's dimensions with letters
 * (`...` for any number of them), letters shared by operands are multiplied along, and letters missing
 * from the output are summed over. With a string literal equation the result's shape is computed at
 * compile time (`"ij,jk->ik"` on `[2, 3]` and `[3, 4]` is `Tensor<[2, 4]>`) and a mismatch (a letter
 * of two sizes, the wrong number of operands or dimensions) is a compile error; a `string` equation
 * gives a plain `Tensor`. At run time the same rules throw a `ShapeError` naming the subscript.
 *
 * @example
 * ```ts
 * const y = einsum("bij,bjk->bik", randn([2, 3, 4], rng(0)), randn([2, 4, 5], rng(1))); // Tensor<[2, 3, 5]>
 * ```
 */
export function einsum<const E extends string, const Ts extends readonly Tensor[]>(
  equation: E & EinsumCheck<E, ShapesOf<Ts>>,
  ...operands: Ts
): Tensor<Einsum<E, ShapesOf<Ts>>> {
  const op = "einsum";
  if (typeof equation !== "string") throw new TypeError(`${op}: the equation must be a string, got ${typeof equation}`);
  for (const t of operands) handleOf(t, op);
  einsumShape(equation, operands.map((t) => t.shape));
  for (let i = 1; i < operands.length; i++) sameDevice(operands[0], operands[i], op);
  return wrap(sym.dt_einsum(utf8.encode(`${equation}\0`), handleList(operands, op), operands.length), op);
}
