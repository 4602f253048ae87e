/**
 * scaledDotProductAttention and attentionProbs with torch 2.x's causal and additive masks, on the
 * fused and the plain path, against values worked out by hand: keys chosen so that the scores are
 * 0, ln 2, ln 3, ..., whose softmax weights are then 1, 2, 3, ... over their sum.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import {
  attentionProbs,
  DTypeError,
  FreedTensorError,
  scaledDotProductAttention,
  ShapeError,
  type Tensor,
  tensor,
} from "../mod.ts";
import { assertClose, assertMeta, noLeaks, rejects } from "./ops_helpers.ts";

const { LN2, log } = Math;
const TOL = { atol: 1e-5, rtol: 1e-5 };

/** A column of values: [n, 1] (d = 1, so √d = 1 and a score is the product of a query and a key). */
const column = (xs: number[], dtype: "f32" | "f64" = "f32") => tensor(xs, [xs.length, 1], { dtype });
const ones = (n: number, dtype: "f32" | "f64" = "f32") => column(Array(n).fill(1), dtype);

/** Both paths of scaledDotProductAttention, checked against `want` (shape and values). */
function bothPaths(q: Tensor, k: Tensor, v: Tensor, opts: object, want: number[], what: string): void {
  for (const fused of [true, false]) {
    const out = scaledDotProductAttention(q, k, v, { ...opts, fused });
    assertMeta(out, [q.shape[0], v.shape[1]], q.dtype, `${what}, fused: ${fused}`);
    assertClose(out, want, `${what}, fused: ${fused}`, TOL);
  }
}

Deno.test(
  "isCausal: query i attends to keys 0..i, aligned top-left as torch's is_causal",
  noLeaks(() => {
    // Scores 0, ln 2, ln 3, ln 4 for every query: weights 1, 2, 3, 4 over the keys each query sees.
    const keys = [0, LN2, log(3), log(4)], vals = [10, 20, 30, 40];
    const k = column(keys), v = column(vals);
    const upTo = [10, (10 + 2 * 20) / 3, (10 + 2 * 20 + 3 * 30) / 6, (10 + 2 * 20 + 3 * 30 + 4 * 40) / 10];
    for (const dtype of ["f32", "f64"] as const) {
      bothPaths(ones(4, dtype), column(keys, dtype), column(vals, dtype), { isCausal: true }, upTo, `square, ${dtype}`);
    }
    // More queries than keys: query i ≥ 2 sees both keys (torch's tril over [4, 2]).
    const k2 = column([0, LN2]), v2 = column([10, 20]);
    bothPaths(ones(4), k2, v2, { isCausal: true }, [10, 50 / 3, 50 / 3, 50 / 3], "4 queries, 2 keys");
    // Fewer queries than keys: still top-left, so query 0 sees key 0 only (not keys 0..2, as a
    // bottom-right alignment would give).
    bothPaths(ones(2), k, v, { isCausal: true }, [10, 50 / 3], "2 queries, 4 keys");
    // isCausal: false is no mask at all.
    bothPaths(ones(1), k, v, { isCausal: false }, [upTo[3]], "isCausal false");
    // The probabilities themselves: row i is (1, 2, ..., i + 1) / sum, zero after the diagonal.
    const probs = attentionProbs(ones(3), column([0, LN2, log(3)]), null, { isCausal: true });
    assertMeta(probs, [3, 3], "f32", "causal probabilities");
    assertClose(probs, [1, 0, 0, 1 / 3, 2 / 3, 0, 1 / 6, 2 / 6, 3 / 6], "causal probabilities", TOL);
    // Batched: the [q, k] causal mask broadcasts over the leading dims.
    const qb = tensor([1, 1, 1, 1], [2, 2, 1]), kb = tensor([0, LN2, 0, 0], [2, 2, 1]);
    const vb = tensor([10, 20, 1, 3], [2, 2, 1]);
    for (const fused of [true, false]) {
      const out = scaledDotProductAttention(qb, kb, vb, { isCausal: true, fused });
      assertMeta(out, [2, 2, 1], "f32", `batched, fused: ${fused}`);
      assertClose(out, [10, 50 / 3, 1, 2], `batched, fused: ${fused}`, TOL);
    }
  }),
);

Deno.test(
  "a float mask is added to the scores: weights scale by exp(mask), -Infinity bans a key",
  noLeaks(() => {
    // Scores all 0 (keys 0): the weights are exp(mask) alone.
    const q = ones(2), k = column([0, 0, 0]), v = column([10, 20, 30]);
    const perQuery = tensor([0, LN2, log(3), -Infinity, 0, LN2], [2, 3]);
    bothPaths(q, k, v, { mask: perQuery }, [(10 + 40 + 90) / 6, (20 + 60) / 3], "[q, k] mask");
    // A [k] mask broadcasts over the queries.
    const perKey = tensor([0, 0, LN2], [3]);
    bothPaths(q, k, v, { mask: perKey }, [22.5, 22.5], "[k] mask");
    // It adds to the scores rather than replacing them: scores 0, ln 2, ln 3 plus mask ln 3, ln 1.5, 0
    // give weights 3, 3, 3, the plain average.
    const scored = column([0, LN2, log(3)]);
    bothPaths(ones(1), scored, v, { mask: tensor([log(3), log(1.5), 0], [1, 3]) }, [20], "added to scores");
    // A row banned whole is NaN on both paths, as in torch (a bool mask instead averages the values).
    const banned = tensor([-Infinity, -Infinity, -Infinity], [1, 3]);
    bothPaths(ones(1), k, v, { mask: banned }, [NaN], "a row banned whole");
    bothPaths(ones(1), k, v, { mask: tensor([0, 0, 0], [1, 3], { dtype: "bool" }) }, [20], "bool: average");
    // f64 masks with f64 operands, fused and plain.
    bothPaths(
      ones(2, "f64"),
      column([0, 0, 0], "f64"),
      column([10, 20, 30], "f64"),
      { mask: tensor([0, LN2, log(3), -Infinity, 0, LN2], [2, 3], { dtype: "f64" }) },
      [(10 + 40 + 90) / 6, (20 + 60) / 3],
      "f64 mask",
    );
    // attentionProbs takes the same masks.
    assertClose(attentionProbs(q, k, perQuery), [1 / 6, 2 / 6, 3 / 6, 0, 1 / 3, 2 / 3], "probabilities", TOL);
  }),
);

Deno.test(
  "attention masks: errors name the op and the argument",
  noLeaks(() => {
    const q = ones(2), k = column([0, 0, 0]), v = column([1, 2, 3]);
    const sdpa = "scaledDotProductAttention";
    const float = tensor([0, 0, 0], [3]);
    rejects(
      () => scaledDotProductAttention(q, k, v, { mask: float, isCausal: true }),
      TypeError,
      sdpa,
      /isCausal and mask exclude each other/,
    );
    rejects(
      () => attentionProbs(q, k, float, { isCausal: true }),
      TypeError,
      "attentionProbs",
      /isCausal and mask exclude each other/,
    );
    rejects(
      () => scaledDotProductAttention(q, k, v, { isCausal: 1 as never }),
      TypeError,
      sdpa,
      /isCausal must be a boolean, got 1/,
    );
    // A float mask must have q's dtype (torch 2.x refuses others too): no silent promotion.
    rejects(
      () => scaledDotProductAttention(q, k, v, { mask: tensor([0, 0, 0], [3], { dtype: "f64" }) }),
      DTypeError,
      sdpa,
      /mask must be bool \(true = attend\) or q's dtype f32 \(added to the scores\), got f64/,
    );
    rejects(
      () => attentionProbs(q, k, tensor([0, 0, 0], [3], { dtype: "i64" })),
      DTypeError,
      "attentionProbs",
      /mask must be bool .* got i64/,
    );
    rejects(
      () => scaledDotProductAttention(q, k, v, { mask: tensor([0, 0], [2]) }),
      ShapeError,
      sdpa,
      /cannot broadcast \[2\] with \[2, 3\]/,
    );
    rejects(
      () => scaledDotProductAttention(q, k, v, { mask: tensor([0, 0, 0, 0, 0, 0], [2, 1, 3]) }),
      ShapeError,
      sdpa,
      /mask \[2, 1, 3\] does not broadcast to the scores \[2, 3\]/,
    );
    const ints = tensor([1, 1], [2, 1], { dtype: "i64" });
    rejects(
      () => attentionProbs(ints, ints, null),
      DTypeError,
      "attentionProbs",
      /q, k, v must be floating point, got i64/,
    );
    const gone = tensor([0, 0, 0], [3]);
    gone.free();
    rejects(() => scaledDotProductAttention(q, k, v, { mask: gone }), FreedTensorError, sdpa, /./);
  }),
);
