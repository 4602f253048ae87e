/** Parameter trees and keys: paths, round trips, structure checks, counting; RNG determinism. */
import assert from "node:assert/strict";
import {
  countParams,
  flattenTree,
  fold,
  keyFromJSON,
  mapTree,
  ones,
  randn,
  replaceLeaves,
  rng,
  scope,
  ShapeError,
  splitKey,
  type Tensor,
  treeLeaves,
  unflattenTree,
  values,
  zeros,
  zipTree,
} from "../mod.ts";
import { add } from "../mod.ts";

Deno.test("tree: flatten gives state-dict style dotted paths in a stable order", () => {
  scope(() => {
    const params = {
      encoder: {
        layers: [
          { self_attention_block: { w_q: { weight: zeros([4, 4]) } } },
          { self_attention_block: { w_q: { weight: zeros([4, 4]) } } },
        ],
        norm: { alpha: ones([4]), bias: zeros([4]) },
      },
      projection_layer: { proj: { weight: zeros([7, 4]), bias: zeros([7]) } },
    };
    assert.deepEqual(flattenTree(params).map(([p]) => p), [
      "encoder.layers.0.self_attention_block.w_q.weight",
      "encoder.layers.1.self_attention_block.w_q.weight",
      "encoder.norm.alpha",
      "encoder.norm.bias",
      "projection_layer.proj.weight",
      "projection_layer.proj.bias",
    ]);
    assert.equal(countParams(params), 16 + 16 + 4 + 4 + 28 + 7);
  });
});

Deno.test("tree: unflatten rebuilds arrays from numeric keys and round-trips", () => {
  scope(() => {
    const a = zeros([1]), b = ones([2]), c = zeros([3]);
    const tree = unflattenTree([["layers.0.w", a], ["layers.1.w", b], ["norm.alpha", c]]);
    assert.ok(Array.isArray(tree.layers));
    assert.equal((tree.layers as { w: Tensor }[])[1].w, b);
    assert.deepEqual(flattenTree(tree), [["layers.0.w", a], ["layers.1.w", b], ["norm.alpha", c]]);
    // a level whose keys are not exactly 0..n-1 stays an object
    const sparse = unflattenTree([["x.0", a], ["x.2", b]]);
    assert.ok(!Array.isArray(sparse.x));
    assert.throws(() => unflattenTree([["a.b", a], ["a.b", b]]), ShapeError);
    assert.throws(() => unflattenTree([["a", a], ["a.b", b]]), /passes through a leaf/);
    assert.throws(() => unflattenTree([["a..b", a]]), /empty key/);
  });
});

Deno.test("tree: mapTree and zipTree keep the structure", () => {
  scope(() => {
    const p = { w: [ones([2]), { b: ones([1]) }] };
    const shapes = mapTree(p, (t, path) => `${path}:${t.shape}`);
    assert.deepEqual(shapes, { w: ["w.0:2", { b: "w.1.b:1" }] });
    const doubled = zipTree([p, p], ([x, y]) => add(x, y));
    assert.deepEqual(values(doubled.w[0] as Tensor), [2, 2]);
    assert.throws(() => zipTree([p, { w: [ones([2])] }], ([x]) => x), /differs from tree 0 in structure/);
  });
});

Deno.test("tree: treeLeaves and replaceLeaves go to a flat list and back, in flatten order", () => {
  scope(() => {
    const a = ones([2]), b = zeros([1]), c = ones([3]);
    const p = { w: [a, { b }], c };
    assert.deepEqual(treeLeaves(p), [a, b, c]);
    assert.deepEqual(treeLeaves(p), flattenTree(p).map(([, t]) => t));
    assert.deepEqual(replaceLeaves(p, ["first", "second", "third"]), { w: ["first", { b: "second" }], c: "third" });
    const withCount = { ...p, n: 3 };
    assert.deepEqual(replaceLeaves(withCount, [1, 2, 3]), { w: [1, { b: 2 }], c: 3, n: 3 }, "other leaves are kept");
    // A tensor found twice (tied weights) is two leaves, as flatten lists it.
    const tied = { x: a, y: a };
    assert.deepEqual(replaceLeaves(tied, [1, 2]), { x: 1, y: 2 });
    assert.throws(() => replaceLeaves(p, [1, 2]), ShapeError);
    assert.throws(() => replaceLeaves(p, [1, 2, 3, 4]), /holds 3 tensors, but 4 leaves/);
  });
});

Deno.test("rng: keys are values; same key same draw, split keys differ", () => {
  scope(() => {
    const k = rng(42);
    assert.deepEqual(values(randn([5], k)), values(randn([5], rng(42))));
    const [a, b] = splitKey(k);
    assert.notDeepEqual(values(randn([5], a)), values(randn([5], b)));
    assert.notDeepEqual(values(randn([5], a)), values(randn([5], k)));
    assert.notDeepEqual(values(randn([5], fold(k, 1))), values(randn([5], fold(k, 2))));
    assert.notDeepEqual(values(randn([5], rng(0))), values(randn([5], rng(1))));
    // serializable for checkpoints
    const back = keyFromJSON(JSON.parse(JSON.stringify(a)));
    assert.deepEqual(values(randn([5], back)), values(randn([5], a)));
    assert.throws(() => keyFromJSON([1]), /not a serialized Key/);
  });
});
