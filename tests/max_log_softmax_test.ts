/**
 * maxLogSoftmax, greedy decoding's candidate per row: against values worked out by hand, against
 * argmax and a log-softmax computed here in f64, and against the composition where rows hold NaN or
 * infinities.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import * as assert from "node:assert/strict";
import { argmax, DTypeError, maxLogSoftmax, randn, rng, ShapeError, tensor, zeros } from "../mod.ts";
import { assertClose, assertMeta, noLeaks, rejects, values } from "./ops_helpers.ts";

Deno.test(
  "maxLogSoftmax: hand-worked rows, ties to the first index",
  noLeaks(() => {
    // e^x = 1, 2, 3: the largest probability is 3/6, at index 2; a tie keeps the first maximum.
    const x = tensor([0, Math.LN2, Math.log(3), 5, 1, 5], [2, 3]);
    const { values: v, indices } = maxLogSoftmax(x);
    assertMeta(v, [2, 1], "f32", "values");
    assertMeta(indices, [2, 1], "i64", "indices");
    assertClose(v, [Math.log(0.5), 5 - Math.log(2 * Math.exp(5) + Math.exp(1))], "values", { atol: 0, rtol: 3e-7 });
    assert.deepEqual(values(indices), [2, 0]);
    // Equal maxima in different vector lanes and blocks: the first of them.
    const wide = Array.from({ length: 100 }, (_, i) => (i === 13 || i === 42 || i === 67 ? 9 : 0));
    assert.deepEqual(values(maxLogSoftmax(tensor(wide, [1, 100])).indices), [13]);
    // One class: log 1 = 0.
    assert.deepEqual(values(maxLogSoftmax(tensor([7, -3], [2, 1])).values), [0, 0]);
  }),
);

Deno.test(
  "maxLogSoftmax agrees with argmax and a log-softmax in f64, in f32 and f64, over vocabulary sizes",
  noLeaks(() => {
    for (const dtype of ["f32", "f64"] as const) {
      for (const classes of [1, 7, 8, 100, 21897]) {
        const x = randn([5, classes], rng(classes), { dtype });
        const xs = values(x);
        const { values: v, indices } = maxLogSoftmax(x);
        assert.deepEqual(values(indices), values(argmax(x, -1)), `${dtype}, ${classes}: argmax's indices`);
        const want = Array.from({ length: 5 }, (_, r) => {
          const row = xs.slice(r * classes, (r + 1) * classes);
          const top = Math.max(...row);
          return -Math.log(row.reduce((s, y) => s + Math.exp(y - top), 0));
        });
        assertClose(v, want, `${dtype}, ${classes} classes`, { atol: 1e-6, rtol: 1e-6 });
      }
    }
  }),
);

Deno.test(
  "maxLogSoftmax: rows with NaN or infinities give the composition's NaN and infinities, and the others theirs",
  noLeaks(() => {
    const inf = Infinity;
    const x = tensor([1, NaN, 2, 3, inf, 0, -inf, -inf, -inf, -inf, 0, 1], [4, 3]);
    const { values: v, indices } = maxLogSoftmax(x);
    const got = values(v);
    // NaN and +inf rows are NaN (inf - inf), as gather - logsumexp gives; -inf everywhere is NaN too.
    assert.ok(Number.isNaN(got[0]) && Number.isNaN(got[1]) && Number.isNaN(got[2]), `${got}`);
    assertClose([got[3]], [1 - Math.log(1 + Math.E)], "the finite row", { atol: 1e-6, rtol: 0 });
    assert.deepEqual(values(indices), values(argmax(x, -1)), "argmax's indices, NaN first as torch's");
  }),
);

Deno.test(
  "maxLogSoftmax refuses what has no rows of classes, naming itself",
  noLeaks(() => {
    rejects(() => maxLogSoftmax(zeros([2, 3, 4]) as never), ShapeError, "maxLogSoftmax", /\[rows, classes\]/);
    rejects(() => maxLogSoftmax(zeros([2, 0])), ShapeError, "maxLogSoftmax", /classes > 0/);
    rejects(() => maxLogSoftmax(zeros([2, 3], { dtype: "i64" })), DTypeError, "maxLogSoftmax", /floating/);
  }),
);
