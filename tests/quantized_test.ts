/**
 * Dynamic int8 linear layers: bit for bit against torch's quantized::linear_dynamic on the same
 * engine and quantization, close to f32 within the int8 rounding bound, refusals of whatever is not
 * a packed weight, and an int8 Transformer that decodes without leaks.
 */
import assert from "node:assert/strict";
import {
  assume,
  FreedTensorError,
  linear,
  linearInt8,
  linearPacking,
  nn,
  noGrad,
  packLinear,
  quantizedEngines,
  quantizeLinear,
  randn,
  rng,
  scope,
  ShapeError,
  slice,
  tensor,
  TorchError,
  values,
} from "../mod.ts";
import {
  canPack,
  greedyDecode,
  initTransformer,
  isQuantized,
  packModel,
  quantizeModel,
  transformer,
} from "../nmt/mod.ts";
import { PYTHON, referenceAvailable } from "./helpers/reference.ts";
import { noLeaks } from "./ops_helpers.ts";

const OUT = 37;
const IN = 24;
const ROWS = 5;
const ENGINES = ["onednn", "qnnpack"] as const;

/** Weights, bias and activations of a wide range of sizes, so that the per-call activation scale matters. */
function inputs() {
  return scope(() => ({
    w: Array.from(values(randn([OUT, IN], rng(1)))),
    b: Array.from(values(randn([OUT], rng(2)))),
    x: Array.from(values(randn([ROWS, IN], rng(3)))).map((v, i) => Math.fround(v * (1 + (i % 7)))),
  }));
}

const TORCH_SCRIPT = `
import json, sys, torch
d = json.loads(sys.stdin.read())
w = torch.tensor(d["w"], dtype=torch.float32).reshape(${OUT}, ${IN})
x = torch.tensor(d["x"], dtype=torch.float32).reshape(${ROWS}, ${IN})
b = torch.tensor(d["b"], dtype=torch.float32)
out = {}
for engine in ["onednn", "qnnpack"]:
    torch.backends.quantized.engine = engine
    for per_channel in [True, False]:
        # torch's symmetric int8 weight observers, as quantize_dynamic's qconfigs use them
        if per_channel:
            obs = torch.ao.quantization.PerChannelMinMaxObserver(dtype=torch.qint8, qscheme=torch.per_channel_symmetric)
        else:
            obs = torch.ao.quantization.MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)
        obs(w)
        scale, zero = obs.calculate_qparams()
        if per_channel:
            q = torch.quantize_per_channel(w, scale.double(), zero.long(), 0, torch.qint8)
        else:
            q = torch.quantize_per_tensor(w, float(scale), int(zero), torch.qint8)
        y = torch.ops.quantized.linear_dynamic(x, torch.ops.quantized.linear_prepack(q, None), False) + b
        out[f"{engine} {per_channel}"] = {"int": q.int_repr().flatten().tolist(), "y": y.flatten().tolist()}
print(json.dumps(out))
`;

Deno.test({
  name: "int8 linear: torch's quantized::linear_dynamic bit for bit (onednn and qnnpack, per channel and per tensor)",
  ignore: !referenceAvailable,
  fn: async () => {
    const { w, b, x } = inputs();
    const child = new Deno.Command(PYTHON, { args: ["-c", TORCH_SCRIPT], stdin: "piped", stdout: "piped" }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(JSON.stringify({ w, b, x })));
    await writer.close();
    const { code, stdout } = await child.output();
    assert.equal(code, 0, "the torch script failed");
    const expected = JSON.parse(new TextDecoder().decode(stdout));
    scope(() => {
      const weight = tensor(w, [OUT, IN]);
      const bias = tensor(b, [OUT]);
      const xs = tensor(x, [ROWS, IN]);
      for (const engine of ENGINES) {
        for (const perChannel of [true, false]) {
          const want = expected[`${engine} ${perChannel ? "True" : "False"}`];
          const packed = quantizeLinear(weight, { engine, perChannel });
          assert.deepEqual(Array.from(values(packed)), want.int, `${engine} perChannel=${perChannel}: int8 weights`);
          assert.deepEqual(
            Array.from(values(linearInt8(xs, packed, bias))),
            want.y.map(Math.fround),
            `${engine} perChannel=${perChannel}: outputs`,
          );
        }
      }
    });
  },
});

/**
 * What the dnnl engine divides the largest weight magnitude by: 127.5 on a CPU with VNNI, 63.5 (ints
 * in [-64, 64]) without, where oneDNN's kernel adds pairs of u8 · s8 products in 16 bits. Read from
 * the CPU's flags here, apart from the engine's own check.
 */
const HAS_VNNI = (() => {
  try {
    // Deno reads /proc/cpuinfo only with --allow-all, so cat reads it.
    const flags = new TextDecoder().decode(new Deno.Command("cat", { args: ["/proc/cpuinfo"] }).outputSync().stdout);
    return /\b(avx512_vnni|avx_vnni)\b/.test(flags);
  } catch {
    return true; // no /proc/cpuinfo to read: the VNNI arithmetic is what the tests then expect
  }
})();
const DNNL_WEIGHT_DIVISOR = HAS_VNNI ? 127.5 : 63.5;

/** Rounds half to even, as C's nearbyint does in the default rounding mode. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : r;
}

/**
 * Shapes for the dnnl engine's arithmetic: the small one of the other tests, inputs that are not a
 * multiple of 4 or 32 and outputs not a multiple of 16 (the AVX2 kernel's groups and tiles), one row
 * (decoding a single sentence), and a product large enough to be split among threads.
 */
const DNNL_SHAPES = [
  { out: OUT, in: IN, rows: ROWS },
  { out: 16, in: 32, rows: 4 },
  { out: 21, in: 35, rows: 1 },
  { out: 53, in: 1027, rows: 70 },
];

Deno.test({
  name: "int8 linear, dnnl engine: the symmetric int8 arithmetic it states, bit for bit (per channel and per tensor)",
  ignore: !quantizedEngines().includes("dnnl"),
  fn: noLeaks(() => {
    const f = Math.fround;
    for (const { out: OUT, in: IN, rows: ROWS } of DNNL_SHAPES) {
      const { w, b, x } = scope(() => ({
        w: Array.from(values(randn([OUT, IN], rng(1)))),
        b: Array.from(values(randn([OUT], rng(2)))),
        x: Array.from(values(randn([ROWS, IN], rng(3)))).map((v, i) => Math.fround(v * (1 + (i % 7)))),
      }));
      const shape = `${ROWS}x${IN} by ${OUT}x${IN}`;
      for (const perChannel of [true, false]) {
        const packed = quantizeLinear(tensor(w, [OUT, IN]), { engine: "dnnl", perChannel });
        const ints = Array.from(values(packed));
        const y = values(linearInt8(tensor(x, [ROWS, IN]), packed, tensor(b, [OUT])));
        const noBias = values(linearInt8(tensor(x, [ROWS, IN]), packed));
        // Weights: scale max |w| / 127.5 per row (or over the matrix), as torch's symmetric observers (63.5
        // without VNNI), and quantized as torch quantizes, times the scale's f32 inverse.
        const wScales = Array.from(
          { length: OUT },
          (_, o) => f(Math.max(...(perChannel ? w.slice(o * IN, o * IN + IN) : w).map(Math.abs)) / DNNL_WEIGHT_DIVISOR),
        );
        ints.forEach((q, i) => {
          const want = roundHalfEven(f(w[i] * f(1 / wScales[i / IN | 0]))) + 0; // + 0: no -0
          assert.equal(q, Math.max(-128, Math.min(127, want)), `${shape} perChannel=${perChannel}: weight ${i}`);
        });
        // Activations: one scale for the call, max |x| / 127, no zero point; products summed exactly in int32,
        // then times (activation scale · weight scale) and plus the bias, each rounded to f32.
        const xScale = f(Math.max(...x.map(Math.abs)) / 127);
        const inverse = f(1 / xScale);
        const xq = x.map((v) => roundHalfEven(f(v * inverse)) + 0);
        for (let r = 0; r < ROWS; r++) {
          for (let o = 0; o < OUT; o++) {
            let acc = 0;
            for (let i = 0; i < IN; i++) acc += xq[r * IN + i] * ints[o * IN + i];
            const product = f(acc * f(wScales[o] * xScale));
            const at = `${shape} perChannel=${perChannel}: row ${r}, out ${o}`;
            assert.equal(y[r * OUT + o], f(product + b[o]), at);
            assert.equal(noBias[r * OUT + o], product, `${at}, no bias`);
          }
        }
      }
    }
  }),
});

Deno.test(
  "int8 linear is within the rounding bound of f32 on every engine, and linear and nn.linear run it for a packed weight",
  noLeaks(() => {
    const { w, b, x } = inputs();
    const weight = tensor(w, [OUT, IN]);
    const bias = tensor(b, [OUT]);
    const x2 = tensor(x, [ROWS, IN]);
    const exact = values(linear(x2, weight, bias));
    // libtorch's onednn engine saturates without VNNI, as PyTorch's own does (the first test: bit for bit).
    for (const engine of quantizedEngines().filter((e) => HAS_VNNI || e !== "onednn")) {
      const int8 = values(linearInt8(x2, quantizeLinear(weight, { engine }), bias));
      // Each product's error is at most half a weight step times |x| plus |w| times half an activation step:
      // libtorch's engines spread 256 steps over [min(x, 0), max(x, 0)], dnnl 254 over [-max |x|, max |x|].
      const xStep = engine === "dnnl"
        ? Math.max(...x.map(Math.abs)) / 127
        : (Math.max(0, ...x) - Math.min(0, ...x)) / 255;
      for (let r = 0; r < ROWS; r++) {
        for (let o = 0; o < OUT; o++) {
          const row = w.slice(o * IN, o * IN + IN);
          const wStep = Math.max(...row.map(Math.abs)) / (engine === "dnnl" ? DNNL_WEIGHT_DIVISOR : 127.5);
          const bound = row.reduce(
            (s, wi, i) => s + (wStep / 2) * Math.abs(x[r * IN + i]) + (xStep / 2) * (Math.abs(wi) + wStep / 2),
            0,
          );
          assert.ok(Math.abs(int8[r * OUT + o] - exact[r * OUT + o]) <= bound + 1e-5, `${engine}: row ${r} out ${o}`);
        }
      }
    }
    const packed = quantizeLinear(weight);
    const int8 = values(linearInt8(x2, packed, bias));
    assert.deepEqual(values(linear(x2, packed, bias)), int8, "linear with a packed weight is linearInt8");
    const layer = nn.linear.quantize({ weight, bias });
    assert.deepEqual(values(nn.linear.apply(layer, x2)), int8, "nn.linear.quantize + apply");
    // Leading dimensions pass through, and empty batches give empty results.
    const x3 = tensor(x, [1, ROWS, IN]);
    assert.deepEqual(linearInt8(x3, packed, bias).shape, [1, ROWS, OUT]);
    assert.deepEqual(values(linearInt8(x3, packed, bias)), int8);
    assert.deepEqual(linearInt8(tensor([], [0, IN]), packed).shape, [0, OUT]);
  }),
);

Deno.test(
  "int8 linear refuses what is not a packed weight, bad shapes, dtypes and values, and leaks nothing",
  noLeaks(() => {
    const weight = randn([OUT, IN], rng(1));
    const packed = quantizeLinear(weight);
    const x = randn([ROWS, IN], rng(2));
    const refuse = (f: () => unknown, kind: ErrorConstructor | typeof ShapeError, pattern: RegExp) =>
      assert.throws(f, (e: Error) => e instanceof kind && pattern.test(e.message), String(pattern));
    refuse(() => linearInt8(x, tensor(new Int8Array(OUT * IN), [OUT, IN])), TorchError, /not a packed int8 weight/);
    for (const engine of quantizedEngines()) {
      const bad = quantizeLinear(weight, { engine });
      for (const v of [NaN, Infinity, -Infinity]) {
        refuse(() => linearInt8(tensor([1, v, ...new Array(IN - 2).fill(0)], [1, IN]), bad), TorchError, /NaN or inf/);
      }
    }
    refuse(() => linearInt8(x, slice(packed, 0, 0, 3)), TorchError, /view of a packed weight|not a packed/);
    refuse(() => linearInt8(x, weight), ShapeError, /packed i8/);
    refuse(() => linearInt8(randn([ROWS, IN + 1], rng(3)), packed), ShapeError, /does not fit/);
    refuse(() => linearInt8(x, packed, randn([OUT + 1], rng(4))), ShapeError, /bias/);
    refuse(
      () => linearInt8(tensor([NaN, ...new Array(IN - 1).fill(0)], [1, IN]), packed),
      TorchError,
      /NaN or infinite/,
    );
    refuse(() => linearInt8(tensor(new Array(IN).fill(0), [1, IN], { dtype: "f64" }), packed), TorchError, /f32/);
    refuse(() => quantizeLinear(randn([OUT, IN], rng(5), { dtype: "f64" })), TorchError, /f32 on the CPU/);
    refuse(() => quantizeLinear(tensor([1, Infinity], [1, 2])), TorchError, /NaN or infinite/);
    refuse(() => quantizeLinear(randn([OUT], rng(6)) as never), ShapeError, /\[out, in\]/);
    // deno-lint-ignore no-explicit-any
    refuse(() => quantizeLinear(weight, { engine: "fbgemm" as any }), RangeError, /onednn/);
  }),
);

const SMALL_CONFIG = {
  srcVocabSize: 30,
  tgtVocabSize: 40,
  srcSeqLen: 12,
  tgtSeqLen: 12,
  dModel: 16,
  layers: 2,
  heads: 2,
  dropout: 0,
  dFF: 32,
};

/** Two source sentences, their mask, and the model's logits on them (the source fed back as the target). */
function logitsOf(m: ReturnType<typeof initTransformer>) {
  const src = assume<["batch", "src"]>(tensor([[1, 5, 6, 7, 2], [1, 8, 9, 2, 0]], [2, 5], { dtype: "i64" }));
  const mask = transformer.paddingMask(src, 0);
  const logits = values(
    transformer.project(
      m.params,
      transformer.decode(
        m,
        transformer.encode(m, src, mask, transformer.evalMode),
        mask,
        assume(src),
        transformer.decoderMask(assume(src), 0),
        transformer.evalMode,
      ),
    ),
  );
  return { src, mask, logits };
}

Deno.test(
  "an int8 Transformer decodes close to f32 and its packed weights are freed with it",
  noLeaks(() => {
    const model = initTransformer(SMALL_CONFIG, rng(7));
    const int8 = quantizeModel(model);
    assert.ok(isQuantized(int8) && !isQuantized(model));
    assert.equal(int8.params.decoder.layers[1].cross_attention_block.w_k.weight.dtype, "i8");
    assert.equal(int8.params.tgt_embed.embedding.weight, model.params.tgt_embed.embedding.weight, "embeddings shared");
    const { logits: a } = logitsOf(model);
    const { logits: q, src, mask } = logitsOf(int8);
    const scale = Math.max(...Array.from(a, Math.abs));
    const worst = Math.max(...Array.from(a, (v, i) => Math.abs(v - q[i])));
    assert.ok(worst < 0.05 * scale, `int8 logits within 5% of the largest f32 logit, worst ${worst} of ${scale}`);
    assert.ok(worst > 0, "int8 does round");
    const opts = { maxLen: 8, sos: 1, eos: 2 };
    assert.equal(greedyDecode(int8, src, mask, opts).length, 2);
  }),
);

Deno.test({
  name: "a packed f32 Transformer: logits equal f32's to rounding, the same greedy output, and nothing leaked",
  ignore: !canPack(),
  fn: noLeaks(() => {
    const model = initTransformer(SMALL_CONFIG, rng(7));
    const packed = packModel(model);
    assert.ok(!isQuantized(packed));
    assert.notEqual(packed.params.projection_layer.proj.weight, model.params.projection_layer.proj.weight);
    assert.deepEqual(
      values(packed.params.decoder.layers[1].feed_forward_block.linear_2.weight),
      values(model.params.decoder.layers[1].feed_forward_block.linear_2.weight),
      "packing keeps the values",
    );
    const { logits: a, src, mask } = logitsOf(model);
    const { logits: p } = noGrad(() => logitsOf(packed));
    const scale = Math.max(...Array.from(a, Math.abs));
    a.forEach((v, i) => assert.ok(Math.abs(p[i] - v) <= 1e-5 * scale, `logit ${i}: ${p[i]} vs ${v}`));
    const opts = { maxLen: 10, sos: 1, eos: 2 };
    assert.deepEqual(greedyDecode(packed, src, mask, opts), greedyDecode(model, src, mask, opts));
    const keepProjection = packModel(model, { projection: false });
    assert.equal(keepProjection.params.projection_layer.proj, model.params.projection_layer.proj);
    assert.equal(canPack("cuda"), false);
  }),
});

Deno.test({
  name:
    "packLinear: linear on the packed f32 copy agrees with f32 to rounding, and a view of it is ATen's linear exactly",
  ignore: !quantizedEngines().includes("dnnl"),
  fn: noLeaks(() => {
    const { w, b, x } = inputs();
    const weight = tensor(w, [OUT, IN]);
    const bias = tensor(b, [OUT]);
    const xs = tensor(x, [ROWS, IN]);
    const packed = packLinear(weight);
    assert.deepEqual(values(packed), values(weight), "the packed weight holds the same values");
    const exact = values(linear(xs, weight, bias));
    const fast = values(noGrad(() => linear(xs, packed, bias)));
    const scale = Math.max(...Array.from(exact, Math.abs));
    exact.forEach((v, i) => assert.ok(Math.abs(fast[i] - v) <= 1e-5 * scale, `output ${i}: ${fast[i]} vs ${v}`));
    const x3 = tensor(x, [1, ROWS, IN]);
    assert.deepEqual(values(noGrad(() => linear(x3, packed))), values(noGrad(() => linear(xs, packed))));
    // 16 rows and more take ATen's linear (OpenBLAS is the faster there), bit for bit.
    const many = randn([2, 9, IN], rng(7));
    assert.deepEqual(values(noGrad(() => linear(many, packed, bias))), values(linear(many, weight, bias)));
    // A view is not the packed weight: ATen's linear, bit for bit.
    const sliced = slice(packed, 0, 0, 3);
    assert.deepEqual(values(linear(xs, sliced)), values(linear(xs, slice(weight, 0, 0, 3))));
    assert.throws(() => packLinear(randn([OUT], rng(6)) as never), ShapeError);
    assert.throws(() => packLinear(randn([OUT, IN], rng(5), { dtype: "f64" })), TorchError);
  }),
});

Deno.test({
  name: "linearPacking tells a plain weight, a packed f32 one and an int8 one apart, and a view of one is plain",
  ignore: !quantizedEngines().includes("dnnl"),
  fn: noLeaks(() => {
    const w = randn([4, 3], rng(0));
    const int8 = quantizeLinear(w), packed = packLinear(w);
    assert.deepEqual([linearPacking(w), linearPacking(int8), linearPacking(packed)], [null, "int8", "f32"]);
    // Views multiply as plain weights in linear, so they are plain here too.
    assert.deepEqual([linearPacking(slice(packed, 0, 0, 2)), linearPacking(slice(int8, 0, 1, 3))], [null, null]);
    assert.equal(linearPacking(tensor([1, 2, 3])), null);
    const gone = randn([2, 2], rng(1));
    gone.free();
    assert.throws(
      () => linearPacking(gone),
      (e: Error) => e instanceof FreedTensorError && /linearPacking/.test(e.message),
    );
  }),
});
