/**
 * autocast: matrix products in bf16, range-hungry ops in f32, f32 master weights. Checked against
 * the same arithmetic spelled out with explicit casts, here and in PyTorch (python3-torch), whose
 * gradients through the casts are the oracle for ours.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert";
import {
  adamInit,
  autocast,
  autocastDType,
  bmm,
  cast,
  checkpoint,
  crossEntropy,
  flattenTree,
  layerNorm,
  linear,
  logSoftmax,
  matmul,
  memory,
  randn,
  relu,
  rng,
  scope,
  type Shape,
  softmax,
  type Tensor,
  tensor,
  valueAndGrad,
} from "../mod.ts";
import { initTransformer, padBatch, trainStep } from "../nmt/mod.ts";
import { decoderMask, paddingMask } from "../nmt/model/transformer.ts";
import { values } from "./ops_helpers.ts";
import { PYTHON } from "./helpers/reference.ts";

const bf16 = <S extends Shape>(t: Tensor<S>) => cast(t, "bf16");
const f32 = <S extends Shape>(t: Tensor<S>) => cast(t, "f32");

Deno.test("autocast: products take f32 operands in bf16, exactly as cast by hand", () => {
  scope(() => {
    const x = randn([3, 5], rng(1)), w = randn([4, 5], rng(2)), b = randn([4], rng(3));
    const a = randn([2, 3, 5], rng(4)), m = randn([2, 5, 6], rng(5));
    const [lin, mm, bm] = autocast("bf16", () => [linear(x, w, b), matmul(a, m), bmm(a, m)]);
    assert.deepStrictEqual([lin.dtype, mm.dtype, bm.dtype], ["bf16", "bf16", "bf16"]);
    assert.deepStrictEqual(values(lin), values(linear(bf16(x), bf16(w), bf16(b))));
    assert.deepStrictEqual(values(mm), values(matmul(bf16(a), bf16(m))));
    assert.deepStrictEqual(values(bm), values(bmm(bf16(a), bf16(m))));
    // One operand already bf16: the other is cast to meet it.
    assert.deepStrictEqual(values(autocast("bf16", () => matmul(bf16(a), m))), values(mm));
    // Outside autocast nothing changes.
    assert.strictEqual(linear(x, w, b).dtype, "f32");
  });
});

Deno.test("autocast: softmax, logSoftmax, crossEntropy and layerNorm widen bf16 inputs to f32", () => {
  scope(() => {
    const x = bf16(randn([3, 5], rng(6)));
    const target = tensor([0, 4, 2], [3], { dtype: "i64" });
    const [sm, lsm, ce, ln] = autocast("bf16", () => [
      softmax(x, -1),
      logSoftmax(x, -1),
      crossEntropy(x, target, { labelSmoothing: 0.1 }),
      layerNorm(x),
    ]);
    assert.deepStrictEqual([sm.dtype, lsm.dtype, ce.dtype, ln.dtype], ["f32", "f32", "f32", "f32"]);
    assert.deepStrictEqual(values(sm), values(softmax(f32(x), -1)));
    assert.deepStrictEqual(values(lsm), values(logSoftmax(f32(x), -1)));
    assert.deepStrictEqual(values(ce), values(crossEntropy(f32(x), target, { labelSmoothing: 0.1 })));
    assert.deepStrictEqual(values(ln), values(layerNorm(f32(x))));
    // Outside autocast a bf16 softmax stays bf16.
    assert.strictEqual(softmax(x, -1).dtype, "bf16");
  });
});

Deno.test("autocast: nests, restores the outer setting after a throw, frees its casts, refuses bad calls", () => {
  assert.strictEqual(autocastDType(), null);
  autocast("bf16", () => {
    assert.strictEqual(autocastDType(), "bf16");
    assert.throws(() =>
      autocast("f16", () => {
        assert.strictEqual(autocastDType(), "f16");
        throw new Error("inner");
      }), /inner/);
    assert.strictEqual(autocastDType(), "bf16");
  });
  assert.strictEqual(autocastDType(), null);
  const before = memory().tensors;
  scope(() => {
    autocast("bf16", () => linear(randn([2, 3], rng(0)), randn([4, 3], rng(1))));
  });
  assert.strictEqual(memory().tensors, before, "the casts of the operands are freed with the call");
  // @ts-expect-error: not an autocast dtype
  assert.throws(() => autocast("f64", () => 1), /dtype must be "bf16" or "f16", got f64/);
  assert.throws(() => autocast("bf16", () => Promise.resolve(1)), /must be synchronous/);
  assert.strictEqual(autocastDType(), null);
});

// The PyTorch side: the same two-layer network with the casts autocast makes written out, its loss
// and the gradients of the f32 master weights through those casts.
const SCRIPT = String.raw`
import json, sys
import torch
import torch.nn.functional as F
inp = json.load(open(sys.argv[1]))
t = {k: torch.tensor(v["v"], dtype=torch.int64 if k == "target" else torch.float32).reshape(v["s"]) for k, v in inp.items()}
params = {k: t[k].clone().requires_grad_() for k in ["w1", "b1", "w2", "b2"]}
p = {k: v.bfloat16() for k, v in params.items()}
hidden = torch.relu(F.linear(t["x"].bfloat16(), p["w1"], p["b1"]))
logits = F.linear(hidden, p["w2"], p["b2"])
loss = F.cross_entropy(logits.float(), t["target"], label_smoothing=0.1)
loss.backward()
out = {"loss": [loss.item()], **{k: v.grad.flatten().tolist() for k, v in params.items()}}
json.dump(out, sys.stdout)
`;

function torchAvailable(): boolean {
  try {
    return new Deno.Command(PYTHON, { args: ["-c", "import torch"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "autocast: a network's loss and f32 gradients equal PyTorch's through the same casts, bit for bit",
  ignore: !torchAvailable(),
  fn() {
    scope(() => {
      const inputs = {
        x: randn([6, 5], rng(10)),
        target: tensor([0, 3, 1, 2, 3, 0], [6], { dtype: "i64" }),
        w1: randn([8, 5], rng(11)),
        b1: randn([8], rng(12)),
        w2: randn([4, 8], rng(13)),
        b2: randn([4], rng(14)),
      };
      const { x, target, ...params } = inputs;
      const loss = (p: typeof params) =>
        crossEntropy(linear(relu(linear(x, p.w1, p.b1)), p.w2, p.b2), target, { labelSmoothing: 0.1 });
      const { value, grads } = valueAndGrad((p: typeof params) => autocast("bf16", () => loss(p)))(params);
      assert.deepStrictEqual(Object.values(grads).map((g) => g.dtype), ["f32", "f32", "f32", "f32"]);

      const file = Deno.makeTempFileSync({ suffix: ".json" });
      try {
        const payload = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, { v: values(v), s: v.shape }]));
        Deno.writeTextFileSync(file, JSON.stringify(payload));
        const run = new Deno.Command(PYTHON, { args: ["-c", SCRIPT, file], stdout: "piped", stderr: "piped" })
          .outputSync();
        if (!run.success) throw new Error(`python torch failed:\n${new TextDecoder().decode(run.stderr)}`);
        const torch = JSON.parse(new TextDecoder().decode(run.stdout));
        assert.deepStrictEqual(values(value), torch.loss);
        for (const k of ["w1", "b1", "w2", "b2"] as const) assert.deepStrictEqual(values(grads[k]), torch[k], k);
      } finally {
        Deno.removeSync(file);
      }
    });
  },
});

Deno.test("autocast: a Transformer train step in bf16 keeps f32 weights, and its loss within 2% of f32's", () => {
  scope(() => {
    const config = {
      srcVocabSize: 30,
      tgtVocabSize: 30,
      srcSeqLen: 8,
      tgtSeqLen: 8,
      dModel: 16,
      layers: 2,
      heads: 2,
      dropout: 0,
      dFF: 32,
    };
    const model = initTransformer(config, rng(0));
    const src = padBatch<"src">([[2, 5, 9, 12, 3], [2, 7, 3]], 1);
    const tgt = padBatch<"tgt">([[2, 6, 8, 10], [2, 11]], 1);
    const label = padBatch<"tgt">([[6, 8, 10, 3], [11, 3]], 1);
    const batch = { src, tgt, label, srcMask: paddingMask(src, 1), tgtMask: decoderMask(tgt, 1) };
    const step = (autocast?: "bf16") =>
      trainStep(model, adamInit(model.params), batch, rng(1), {
        adam: { lr: 1e-3 },
        clip: 1,
        labelSmoothing: 0.1,
        pad: 1,
        autocast,
      });
    const full = step(), low = step("bf16");
    assert.notStrictEqual(low.loss, full.loss, "bf16 products round differently");
    assert.ok(Math.abs(low.loss - full.loss) <= 0.02 * full.loss, `bf16 loss ${low.loss} vs f32 ${full.loss}`);
    assert.ok(Number.isFinite(low.gradNorm) && !low.skipped);
    const dtypes = new Set(flattenTree(low.params).map(([, t]) => t.dtype));
    assert.deepStrictEqual([...dtypes], ["f32"], "the master weights stay f32");
  });
});

Deno.test("autocast: a checkpointed segment is recomputed in backward under the autocast it ran in", () => {
  scope(() => {
    const x = randn([4, 6], rng(20));
    const params = { w1: randn([8, 6], rng(21)), w2: randn([3, 8], rng(22)) };
    const hidden = (p: typeof params) => relu(linear(x, p.w1)) as Tensor<[4, 8]>;
    const loss = (h: (p: typeof params) => Tensor<[4, 8]>) => (p: typeof params) =>
      autocast("bf16", () => crossEntropy(linear(h(p), p.w2), tensor([0, 2, 1, 2], [4], { dtype: "i64" })));
    const plain = valueAndGrad(loss(hidden))(params);
    const checkpointed = valueAndGrad(loss(checkpoint(hidden)))(params);
    assert.deepStrictEqual(values(checkpointed.value), values(plain.value));
    for (const k of ["w1", "w2"] as const) {
      assert.deepStrictEqual(values(checkpointed.grads[k]), values(plain.grads[k]), k);
    }
  });
});
