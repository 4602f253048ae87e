/**
 * The std over the last dimension runs ATen's Welford recurrence for many rows at once
 * (native/welford_std.cpp) and must give ATen's results bit for bit: against PyTorch itself, and
 * against libtorch's own std, which non-contiguous input and recorded gradients still take. The
 * Annotated Transformer's layer norm (`stdLayerNorm`), one native call, must equal its composition
 * from the library's ops bit for bit, gradients included.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import * as assert from "node:assert/strict";
import {
  add,
  contiguous,
  div,
  DTypeError,
  FreedTensorError,
  mean,
  mul,
  noGrad,
  ones,
  randn,
  rng,
  ShapeError,
  std,
  stdLayerNorm,
  sub,
  type Tensor,
  tensor,
  transpose,
  valueAndGrad,
} from "../mod.ts";
import { PYTHON, referenceAvailable } from "./helpers/reference.ts";
import { noLeaks, rejects, values } from "./ops_helpers.ts";

/** Rows of varied lengths and scales, offset so that the mean's rounding shows in the spread. */
const SHAPES: [number[], number, number][] = [
  [[1, 7], 1, 0],
  [[37, 256], 3, 1e3],
  [[96, 1, 512], 0.01, -5],
  [[3, 33, 1000], 100, 7],
  [[5, 2], 1, 0],
];

Deno.test(
  "std over the last dimension equals libtorch's own std (non-contiguous input takes it) bit for bit",
  noLeaks(() => {
    SHAPES.forEach(([shape, scale, offset], i) => {
      const x = add(mul(randn(shape, rng(i)), scale), offset);
      // The same values laid out transposed and viewed back: not contiguous, so at::std runs.
      const strided = transpose(contiguous(transpose(x, 0, -1)), 0, -1);
      for (const unbiased of [true, false]) {
        const fast = values(std(x, -1, { unbiased, keepDim: true }));
        assert.deepEqual(fast, values(std(strided, -1, { unbiased, keepDim: true })), `${shape}, unbiased ${unbiased}`);
        assert.deepEqual(values(std(x, -1, { unbiased })), fast, `${shape}: keepDim false`);
      }
    });
    // One element: the unbiased std is NaN (0 / 0), the biased one 0, as torch gives.
    const single = tensor([4, 5], [2, 1]);
    assert.ok(values(std(single, -1)).every(Number.isNaN));
    assert.deepEqual(values(std(single, -1, { unbiased: false })), [0, 0]);
  }),
);

Deno.test({
  name: "std over the last dimension equals PyTorch's torch.std bit for bit",
  ignore: !referenceAvailable,
  fn: noLeaks(() => {
    const cases = SHAPES.map(([shape, scale, offset], i) => {
      const x = add(mul(randn(shape, rng(100 + i)), scale), offset);
      return { shape, x: values(x), std: values(std(x, -1)), biased: values(std(x, -1, { unbiased: false })) };
    });
    const dir = Deno.makeTempDirSync({ prefix: "std-" });
    try {
      Deno.writeTextFileSync(`${dir}/cases.json`, JSON.stringify(cases.map(({ shape, x }) => ({ shape, x }))));
      Deno.writeTextFileSync(
        `${dir}/std.py`,
        [
          "import json, sys, torch",
          "cases = json.load(open(sys.argv[1]))",
          "out = []",
          "for c in cases:",
          "    x = torch.tensor(c['x'], dtype=torch.float32).reshape(c['shape'])",
          "    out.append([x.std(dim=-1).flatten().tolist(), x.std(dim=-1, unbiased=False).flatten().tolist()])",
          "print(json.dumps(out))",
        ].join("\n"),
      );
      const { code, stdout, stderr } = new Deno.Command(PYTHON, { args: [`${dir}/std.py`, `${dir}/cases.json`] })
        .outputSync();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const torch: [number[], number[]][] = JSON.parse(new TextDecoder().decode(stdout));
      cases.forEach((c, i) => {
        assert.deepEqual(c.std, torch[i][0], `${c.shape}: unbiased`);
        assert.deepEqual(c.biased, torch[i][1], `${c.shape}: biased`);
      });
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  }),
});

/** The seed's layer norm from the library's ops, as its PyTorch module writes it. */
function composed(x: Tensor, alpha: Tensor, bias: Tensor, eps = 1e-6): Tensor {
  return add(div(mul(alpha, sub(x, mean(x, -1, true))), add(std(x, -1, { keepDim: true }), eps)), bias);
}

Deno.test(
  "stdLayerNorm equals its composition bit for bit, and so do the gradients of x, alpha and bias",
  noLeaks(() => {
    const x = randn([4, 6, 32], rng(1)), alpha = add(randn([32], rng(2)), 1), bias = randn([32], rng(3));
    assert.deepEqual(values(stdLayerNorm(x, alpha, bias)), values(composed(x, alpha, bias)), "forward");
    assert.deepEqual(values(stdLayerNorm(x, alpha, bias, 0.1)), values(composed(x, alpha, bias, 0.1)), "eps 0.1");
    const weights = randn([4, 6, 32], rng(4));
    const loss = (f: typeof composed) => (p: { x: Tensor; alpha: Tensor; bias: Tensor }) =>
      mean(mul(f(p.x, p.alpha, p.bias), weights));
    const fused = valueAndGrad(loss(stdLayerNorm))({ x, alpha, bias });
    const plain = valueAndGrad(loss(composed))({ x, alpha, bias });
    assert.deepEqual(values(fused.value), values(plain.value), "loss");
    for (const name of ["x", "alpha", "bias"] as const) {
      assert.deepEqual(values(fused.grads[name]), values(plain.grads[name]), `gradient of ${name}`);
    }
  }),
);

Deno.test(
  "stdLayerNorm without a gradient (its one-pass kernel) equals its composition bit for bit at decoding's shapes",
  noLeaks(() =>
    noGrad(() => {
      for (const [rows, n, scale] of [[96, 256, 1], [7, 513, 1e4], [3, 1024, 1e-3], [1, 1, 1]]) {
        const x = add(mul(randn([rows, n], rng(rows)), scale), 5);
        const alpha = add(randn([n], rng(2)), 1), bias = randn([n], rng(3));
        for (const eps of [1e-6, 0.1]) {
          assert.deepEqual(
            values(stdLayerNorm(x, alpha, bias, eps)),
            values(composed(x, alpha, bias, eps)),
            `${rows}x${n}`,
          );
        }
      }
    })
  ),
);

Deno.test(
  "stdLayerNorm refuses what it cannot normalize, naming itself",
  noLeaks(() => {
    const x = randn([2, 8], rng(0));
    rejects(() => stdLayerNorm(x, ones([7]), ones([8])), ShapeError, "stdLayerNorm", /alpha must be \[8\]/);
    rejects(() => stdLayerNorm(x, ones([8]), ones([2, 8])), ShapeError, "stdLayerNorm", /bias must be \[8\]/);
    rejects(() => stdLayerNorm(tensor(3), ones([1]), ones([1])), ShapeError, "stdLayerNorm", /last dimension/);
    rejects(
      () => stdLayerNorm(tensor([1, 2], [1, 2], { dtype: "i64" }), ones([2]), ones([2])),
      DTypeError,
      "stdLayerNorm",
      /floating point/,
    );
    const gone = ones([8]);
    gone.free();
    assert.throws(() => stdLayerNorm(x, gone, ones([8])), FreedTensorError);
    assert.throws(() => stdLayerNorm(x, ones([8]), ones([8]), -1), /eps must be a finite number/);
  }),
);
