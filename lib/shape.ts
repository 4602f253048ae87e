/**
 * Shapes at the type level. A shape is a tuple of dimensions; a dimension is a number literal (`512`),
 * a name (`"batch"`), or plain `number` when unknown. The helpers below compute the shape an op
 * returns, and the `...Check` types turn a mismatch into a compile error whose text says what is wrong:
 *
 *   matmul(x as Tensor<["batch", 3]>, w as Tensor<[4, 5]>)
 *   // error: ... '"shape error"': "matmul: inner dimensions 3 and 4 differ"
 *
 * Names match only the same name; `number` matches anything (the escape hatch). The runtime checks in
 * the ops follow the same rules on the concrete sizes.
 *
 * @module
 */

/**
 * One dimension of a compile-time shape: a size literal such as `512`, a name such as `"batch"`,
 * or plain `number` when the size is not known to the type checker.
 */
export type Dim = number | string;
/**
 * A compile-time shape: a tuple of dimensions, outermost first, as in `Tensor<["batch", 512]>`.
 * `number[]` (or `Shape` itself) stands for a shape whose rank is unknown.
 */
export type Shape = readonly Dim[];

/** A compile-time error: intersected into a parameter type, it makes the argument unassignable. */
export type ShapeCheckFailed<Message extends string> = { readonly "shape error": Message };

/** `unknown` (no constraint) when `R` is a shape, a `ShapeCheckFailed` when `R` is an error message. */
export type Check<R> = R extends string ? ShapeCheckFailed<R> : unknown;

/** `true` when `D` is a fixed size or name, `false` when it is plain `number` or `string`. */
export type Known<D> = number extends D ? false : string extends D ? false : true;

/** Whether two dimensions may be the same size. */
export type SameDim<A, B> = Known<A> extends false ? true
  : Known<B> extends false ? true
  : [A] extends [B] ? ([B] extends [A] ? true : false)
  : false;

// ---- index arithmetic for ranks up to a few dozen ----
/** A tuple of `N` `unknown`s; its length is how the index helpers count at the type level. */
export type Tuple<N extends number, Acc extends unknown[] = []> = Acc["length"] extends N ? Acc
  : Tuple<N, [...Acc, unknown]>;

/** A possibly negative dimension index, made non-negative for a shape of this rank. */
export type Axis<S extends Shape, D extends number> = number extends D ? number
  : number extends S["length"] ? number
  : `${D}` extends `-${infer N extends number}`
    ? Tuple<S["length"]> extends [...Tuple<N>, ...infer Rest] ? Rest["length"] : never
  : D;

/** Sizes only: the runtime counterpart of a shape, where a named dimension is a plain number. */
export type Sizes<S extends Shape> = { readonly [K in keyof S]: S[K] extends number ? S[K] : number };

/** `S` without `readonly` (what a `const` type parameter infers from a literal array). */
export type Writable<S extends Shape> = { -readonly [K in keyof S]: S[K] };

// ---- shape transformers ----

/** The last dimension of `S` (`number` when unknown). */
export type LastDim<S extends Shape> = S extends readonly [...Shape, infer L extends Dim] ? L : number;

/** `S` with dimension `D` replaced by `To`. */
export type SetDim<S extends Shape, D extends number, To extends Dim> = number extends S["length"] ? Shape
  : { -readonly [K in keyof S]: K extends `${Axis<S, D>}` ? To : S[K] };

/** `S` without dimension `D`. */
export type DropDim<S extends Shape, D extends number> = number extends S["length"] ? Shape
  : DropAt<S, Axis<S, D>>;
/** `S` without the element at non-negative index `I` (the worker behind `DropDim`). */
export type DropAt<S extends Shape, I, Acc extends Dim[] = []> = S extends
  readonly [infer H extends Dim, ...infer R extends Shape]
  ? Acc["length"] extends I ? [...Acc, ...R] : DropAt<R, I, [...Acc, H]>
  : Acc;

/** `S` with a new dimension `To` inserted at `D`. */
export type InsertDim<S extends Shape, D extends number, To extends Dim = 1> = number extends S["length"] ? Shape
  : InsertAt<S, D extends number ? (`${D}` extends `-${string}` ? Axis<[...S, To], D> : D) : never, To>;
/** `S` with `To` inserted before non-negative index `I` (the worker behind `InsertDim`). */
export type InsertAt<S extends Shape, I, To, Acc extends Dim[] = []> = Acc["length"] extends I ? [...Acc, To, ...S]
  : S extends readonly [infer H extends Dim, ...infer R extends Shape] ? InsertAt<R, I, To, [...Acc, H]>
  : [...Acc, To];

/** `S` with dimensions `I` and `J` swapped. */
export type Transpose<S extends Shape, I extends number, J extends number> = number extends S["length"] ? Shape
  : {
    -readonly [K in keyof S]: K extends `${Axis<S, I>}` ? S[Axis<S, J>]
      : K extends `${Axis<S, J>}` ? S[Axis<S, I>]
      : S[K];
  };

/** `S` reordered by the tuple of indices `P`. */
export type Permute<S extends Shape, P extends readonly number[]> = number extends S["length"] ? Shape
  : { -readonly [K in keyof P]: S[P[K] & keyof S] };

/** The shape after reducing dimension `D`: kept as size 1, or dropped. */
export type Reduce<S extends Shape, D extends number, Keep extends boolean> = Keep extends true ? SetDim<S, D, 1>
  : DropDim<S, D>;

// ---- broadcasting ----
/** The size two broadcast-compatible dimensions give: the one that is not 1, or the better-known one. */
export type BroadcastDim<A, B> = A extends 1 ? B : B extends 1 ? A : Known<A> extends false ? B : A;

/** The broadcast of two shapes (aligned on the right), or an error message. */
export type BroadcastOrError<A extends Shape, B extends Shape> = number extends A["length"] ? Shape
  : number extends B["length"] ? Shape
  : A extends readonly [] ? [...B]
  : B extends readonly [] ? [...A]
  : A extends readonly [...infer RA extends Shape, infer a]
    ? B extends readonly [...infer RB extends Shape, infer b]
      ? a extends 1 ? Join<BroadcastOrError<RA, RB>, BroadcastDim<a, b>, A, B>
      : b extends 1 ? Join<BroadcastOrError<RA, RB>, BroadcastDim<a, b>, A, B>
      : SameDim<a, b> extends true ? Join<BroadcastOrError<RA, RB>, BroadcastDim<a, b>, A, B>
      : `cannot broadcast ${FormatShape<A>} with ${FormatShape<B>}`
    : never
  : never;
/**
 * Appends `Last` to a broadcast prefix, or passes an error message through (reworded for the full
 * shapes `A` and `B`, so the message names the operands rather than their tails).
 */
export type Join<Prefix, Last, A extends Shape, B extends Shape> = Prefix extends string ? Prefix
  : Prefix extends Shape ? [...Prefix, Last]
  : `cannot broadcast ${FormatShape<A>} with ${FormatShape<B>}`;

/** The shape two operands broadcast to (`Shape` if they cannot, alongside a `BroadcastCheck` error). */
export type Broadcast<A extends Shape, B extends Shape> = BroadcastOrError<A, B> extends infer R extends Shape ? R
  : Shape;
/**
 * Intersected into an operand's type, rejects at compile time a shape `B` that cannot broadcast with
 * `A`, with the reason in the error text (no constraint when they broadcast).
 */
export type BroadcastCheck<A extends Shape, B extends Shape> = Check<BroadcastOrError<A, B>>;

// ---- matmul ----
/** The result of `matmul(a, b)` for shapes `A` and `B`, or an error message. */
export type MatmulOrError<A extends Shape, B extends Shape> = number extends A["length"] ? Shape
  : number extends B["length"] ? Shape
  : A extends readonly [...infer BA extends Shape, infer N, infer K]
    ? B extends readonly [...infer BB extends Shape, infer K2, infer M]
      ? SameDim<K, K2> extends true
        ? Join<BroadcastOrError<BA, BB>, M, A, B> extends infer J
          ? J extends Shape ? [...BA extends [] ? BB : BB extends [] ? BA : Broadcast<BA, BB>, N, M] : J
        : never
      : `matmul: inner dimensions ${Fmt<K>} and ${Fmt<K2>} differ (${FormatShape<A>} @ ${FormatShape<B>})`
    : B extends readonly [infer K2] ? SameDim<K, K2> extends true ? [...BA, N]
      : `matmul: inner dimensions ${Fmt<K>} and ${Fmt<K2>} differ (${FormatShape<A>} @ ${FormatShape<B>})`
    : `matmul: the second operand has rank 0`
  : A extends readonly [infer K]
    ? B extends readonly [...infer BB extends Shape, infer K2, infer M] ? SameDim<K, K2> extends true ? [...BB, M]
      : `matmul: inner dimensions ${Fmt<K>} and ${Fmt<K2>} differ (${FormatShape<A>} @ ${FormatShape<B>})`
    : B extends readonly [infer K2] ? (SameDim<K, K2> extends true ? []
        : `matmul: inner dimensions ${Fmt<K>} and ${Fmt<K2>} differ`)
    : `matmul: the second operand has rank 0`
  : `matmul: the first operand has rank 0`;
/** The shape `matmul(a, b)` returns for operand shapes `A` and `B` (`Shape` when they do not fit). */
export type Matmul<A extends Shape, B extends Shape> = MatmulOrError<A, B> extends infer R extends Shape ? R : Shape;
/**
 * Intersected into `matmul`'s second operand, rejects at compile time shapes whose inner dimensions
 * differ (or a rank-0 operand), with the reason in the error text.
 */
export type MatmulCheck<A extends Shape, B extends Shape> = Check<MatmulOrError<A, B>>;

// ---- linear layers ----
/** `linear(x, weight)`: x [..., in] with weight [out, in] gives [..., out], or an error message. */
export type LinearOrError<X extends Shape, W extends Shape> = number extends X["length"] ? Shape
  : W extends readonly [infer Out, infer In]
    ? X extends readonly [...infer Batch extends Shape, infer InX] ? SameDim<InX, In> extends true ? [...Batch, Out]
      : `linear: x's last dimension ${Fmt<InX>} is not the weight's input dimension ${Fmt<In>} (weight is [out, in])`
    : "linear: x has rank 0"
  : number extends W["length"] ? Shape
  : "linear: the weight must be [out, in]";
/** The shape `linear(x, weight)` returns for `x: X` and `weight: W` (`Shape` when they do not fit). */
export type Linear<X extends Shape, W extends Shape> = LinearOrError<X, W> extends infer R extends Shape ? R : Shape;
/**
 * Intersected into `linear`'s weight, rejects at compile time a weight that is not `[out, in]` with
 * `in` equal to the last dimension of `X`, with the reason in the error text.
 */
export type LinearCheck<X extends Shape, W extends Shape> = Check<LinearOrError<X, W>>;

// ---- formatting for messages ----
/** One dimension as error-message text: a name in quotes, a size as digits, `?` when unknown. */
export type Fmt<D> = D extends string ? `"${D}"` : D extends number ? `${D}` : "?";
/** The dimensions of `S` as comma-separated error-message text, without brackets. */
export type FormatDims<S> = S extends readonly [infer H] ? Fmt<H>
  : S extends readonly [infer H, ...infer R] ? `${Fmt<H>}, ${FormatDims<R>}`
  : "";
/** A shape as error-message text, e.g. `FormatShape<["batch", 3]>` is `'["batch", 3]'`. */
export type FormatShape<S extends Shape> = `[${FormatDims<S>}]`;

/**
 * Formats a concrete shape for runtime messages, the way `FormatShape` does for types.
 *
 * @example
 * ```ts
 * import { formatShape } from "@deno-torch/torch";
 * formatShape([2, 3]); // "[2, 3]"
 * ```
 */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}
