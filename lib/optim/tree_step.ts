/**
 * The walk of a parameter tree that steps each parameter once (tied weights too) after every input
 * has been checked, as adamUpdate does: what SGD, Adagrad, RMSprop and Lion share above their
 * single-tensor steps (lib/ops/*_step.ts, with the checks in lib/ops/step_checks.ts).
 *
 * @module
 */
import type { Tensor } from "../tensor.ts";
import { checkAlike } from "../ops/step_checks.ts";
import { flattenTree, type MapLeaves, replaceLeaves } from "../tree.ts";

/** One parameter's update: its gradient and states in, the new parameter and states out. */
export type LeafStep = (p: Tensor, g: Tensor, states: (Tensor | null)[], op: string) => Tensor[];

/**
 * Every parameter of `params` stepped by `step`, with its gradient and its entry of each state tree
 * (a `null` tree: that state is not made yet, each leaf gets `null`). Returns the new parameter tree
 * and one tree per further result of `step`. Every input is checked first, so that a failing call
 * (with `donate`, which writes in place) changes nothing. A tensor at several paths (tied weights) is
 * stepped once, with its first path's state. `outputs` is how many tensors `step` returns.
 */
export function stepTree<P>(
  name: string,
  params: P,
  grads: MapLeaves<P, Tensor>,
  states: [what: string, tree: MapLeaves<P, Tensor> | null][],
  outputs: number,
  step: LeafStep,
): MapLeaves<P, Tensor>[] {
  const g = new Map(flattenTree(grads));
  const byPath = states.map(([what, tree]) => [what, tree === null ? null : new Map(flattenTree(tree))] as const);
  const inputs = flattenTree(params).map(([path, p]) => {
    const op = `${name} (${path})`;
    const grad = g.get(path);
    if (grad === undefined) throw new TypeError(`${name}: no gradient for parameter "${path}"`);
    const s = byPath.map(([what, m]) => [what, m === null ? null : m.get(path)] as [string, Tensor | null | undefined]);
    checkAlike(op, p, [["gradient", grad], ...s]);
    return { op, p, grad, s: s.map(([, t]) => t as Tensor | null) };
  });
  const stepped = new Map<Tensor, Tensor[]>();
  const updated = inputs.map(({ op, p, grad, s }) => {
    let result = stepped.get(p);
    if (result === undefined) stepped.set(p, result = step(p, grad, s, op));
    return result;
  });
  return Array.from({ length: outputs }, (_, i) => replaceLeaves(params, updated.map((u) => u[i])));
}
