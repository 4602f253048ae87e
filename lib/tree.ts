/**
 * Parameter trees: nested plain objects and arrays whose leaves are tensors. Key paths join the keys
 * with dots (`encoder.layers.0.self_attention_block.w_q.weight`), the same names as a PyTorch
 * state dict, so the flat form is what safetensors files and optimizers use.
 */
import { ShapeError } from "./errors.ts";
import { Tensor } from "./tensor.ts";

/** A nested object/array structure with leaves of type `L`. */
export type Tree<L = Tensor> = L | readonly Tree<L>[] | { readonly [key: string]: Tree<L> };

/** The same structure as `T` with every tensor leaf replaced by `L`. */
export type MapLeaves<T, L> = T extends Tensor ? L
  : T extends readonly unknown[] ? { -readonly [K in keyof T]: MapLeaves<T[K], L> }
  : T extends object ? { -readonly [K in keyof T]: MapLeaves<T[K], L> }
  : T;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object" && Object.getPrototypeOf(x) === Object.prototype;
}

/** [path, tensor] pairs in a stable order (object keys as written, arrays by index). */
export function flattenTree(tree: unknown, prefix = ""): [string, Tensor][] {
  return flattenTreeWith(tree, isTensor, prefix);
}

/** Like `flatten`, for trees whose leaves are whatever `isLeaf` accepts (shapes, names, ...). */
export function flattenTreeWith<L>(tree: unknown, isLeaf: (x: unknown) => x is L, prefix = ""): [string, L][] {
  const out: [string, L][] = [];
  // The same order as mapTree's walk (which builds a tree, where this only collects), so that a flat
  // list goes back into its tree by position (replaceLeaves).
  const walk = (x: unknown, path: string): void => {
    if (isLeaf(x)) out.push([path, x]);
    else if (Array.isArray(x)) x.forEach((v, i) => walk(v, childPath(path, i)));
    else if (isPlainObject(x)) { for (const k of Object.keys(x)) walk(x[k], childPath(path, k)); }
    else if (x !== undefined && x !== null) throw new TypeError(`flatten: unexpected leaf at "${path}": ${typeof x}`);
  };
  walk(tree, prefix);
  return out;
}

/** The tensors of a tree, in `flatten` order (without their paths). */
export function treeLeaves(tree: unknown): Tensor[] {
  return flattenTree(tree).map(([, t]) => t);
}

const isTensor = (x: unknown): x is Tensor => x instanceof Tensor;

/** The dotted path of `key` below `path` (the root's children have no leading dot). */
const childPath = (path: string, key: string | number) => path ? `${path}.${key}` : `${key}`;

/**
 * Rebuilds a tree from dotted paths. Levels whose keys are exactly 0..n-1 become arrays, so
 * `layers.0.w` and `layers.1.w` give `{ layers: [{ w }, { w }] }`.
 */
export function unflattenTree(entries: Iterable<readonly [string, unknown]>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [path, leaf] of entries) {
    const keys = path.split(".");
    let node = root;
    keys.forEach((k, i) => {
      if (k === "") throw new ShapeError("unflatten", `empty key in path "${path}"`);
      if (i === keys.length - 1) {
        if (k in node) throw new ShapeError("unflatten", `path "${path}" is given twice or clashes with another`);
        node[k] = leaf;
      } else {
        const next = node[k] ??= {};
        if (!isPlainObject(next)) throw new ShapeError("unflatten", `path "${path}" passes through a leaf at "${k}"`);
        node = next;
      }
    });
  }
  return arrayify(root) as Record<string, unknown>;
}

function arrayify(x: unknown): unknown {
  if (!isPlainObject(x)) return x;
  const keys = Object.keys(x);
  for (const k of keys) x[k] = arrayify(x[k]);
  const isList = keys.length > 0 && keys.every((k, i) => k === String(i));
  return isList ? keys.map((k) => x[k]) : x;
}

/** A tree of the same structure with `fn(leaf, path)` at each tensor; other leaves are kept as they are. */
export function mapTree<T, L>(tree: T, fn: (t: Tensor, path: string) => L): MapLeaves<T, L> {
  const walk = (x: unknown, path: string): unknown => {
    if (isTensor(x)) return fn(x, path);
    if (Array.isArray(x)) return x.map((v, i) => walk(v, childPath(path, i)));
    if (isPlainObject(x)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(x)) out[k] = walk(x[k], childPath(path, k));
      return out;
    }
    return x;
  };
  return walk(tree, "") as MapLeaves<T, L>;
}

/**
 * `tree`'s structure with `leaves` in place of its tensors, in `flatten` order: the way back from a
 * flat list (the outputs of an op over all the leaves at once, a list of gradients) to the tree.
 *
 * @throws {ShapeError} If the tree does not hold exactly `leaves.length` tensors.
 *
 * @example
 * ```ts
 * import { mul, replaceLeaves, scope, tensor, treeLeaves } from "@deno-torch/torch";
 * scope(() => {
 *   const params = { w: tensor([1, 2], [2]), b: tensor([3], [1]) };
 *   const halved = replaceLeaves(params, treeLeaves(params).map((t) => mul(t, 0.5))); // { w, b } halved
 * });
 * ```
 */
export function replaceLeaves<T, L>(tree: T, leaves: readonly L[]): MapLeaves<T, L> {
  let i = 0;
  const out = mapTree(tree, () => leaves[i++]);
  if (i !== leaves.length) {
    throw new ShapeError("replaceLeaves", `the tree holds ${i} tensors, but ${leaves.length} leaves were given`);
  }
  return out;
}

/** Combines trees of the same structure leaf by leaf; throws naming the first path that differs. */
export function zipTree<T, L>(trees: readonly T[], fn: (leaves: Tensor[], path: string) => L): MapLeaves<T, L> {
  if (trees.length === 0) throw new TypeError("zipTree: needs at least one tree");
  const flats = trees.map((t) => flattenTree(t));
  const paths = flats[0].map(([p]) => p);
  flats.forEach((f, i) => {
    const bad = f.length !== paths.length
      ? paths[f.length] ?? f[paths.length][0]
      : f.find(([p], j) => p !== paths[j])?.[0];
    if (bad !== undefined) throw new ShapeError("zipTree", `tree ${i} differs from tree 0 in structure at "${bad}"`);
  });
  return replaceLeaves(trees[0], paths.map((p, j) => fn(flats.map((f) => f[j][1]), p)));
}

/** Total number of elements in a tree's tensors. */
export function countParams(tree: unknown): number {
  return flattenTree(tree).reduce((n, [, t]) => n + t.size, 0);
}
