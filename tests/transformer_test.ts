/** The model's structure, initialization and train/eval behaviour (parity itself is in parity_test.ts). */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import { flattenTree, free, noGrad, rng, scope, type Tensor, tensor, values } from "../mod.ts";
import { initTransformer, positionalTable } from "../nmt/model/init.ts";
import { parseConfig, stateShapes } from "../nmt/io/folder.ts";
import { readSafetensorsHeaderNames } from "./helpers/names.ts";
import {
  decode,
  decoderMask,
  encode,
  evalMode,
  paddingMask,
  trainMode,
  type Transformer,
  type TransformerConfig,
} from "../nmt/model/transformer.ts";
import { FIXTURES } from "./helpers/reference.ts";

const config: TransformerConfig = {
  srcVocabSize: 30,
  tgtVocabSize: 40,
  srcSeqLen: 12,
  tgtSeqLen: 10,
  dModel: 16,
  layers: 2,
  heads: 4,
  dropout: 0.1,
  dFF: 24,
};

function withModel<T>(key: number, fn: (m: Transformer) => T): T {
  const m = initTransformer(config, rng(key));
  try {
    return fn(m);
  } finally {
    free([m.params, m.buffers]);
  }
}

Deno.test("transformer: parameter names and shapes are the reference's state dict", () => {
  const reference = readSafetensorsHeaderNames(`${FIXTURES}/parity/small/model.safetensors`);
  const fixtureConfig = parseConfig(Deno.readTextFileSync(`${FIXTURES}/parity/small/config.json`)).config;
  assert.deepEqual(
    stateShapes(fixtureConfig).map(([n, s]) => `${n} ${s}`).sort(),
    [...reference].map(([n, s]) => `${n} ${s}`).sort(),
  );
  withModel(0, (m) => {
    const ours = new Map(flattenTree(m.params).map(([n, t]) => [n, t.shape]));
    for (const [name, shape] of stateShapes(config)) {
      if (name.endsWith("_pos.pe")) continue;
      assert.deepEqual(ours.get(name), shape, name);
    }
  });
});

Deno.test("transformer: initialization follows the seed (xavier for matrices, default biases, unit norms)", () => {
  withModel(3, (m) => {
    for (const [name, t] of flattenTree(m.params)) {
      const v = values(t);
      const max = Math.max(...v.map(Math.abs));
      if (t.rank === 2) {
        const bound = Math.sqrt(6 / (t.shape[0] + t.shape[1]));
        assert.ok(max <= bound, `${name}: |w| ≤ xavier bound ${bound}`);
        assert.ok(max > 0.8 * bound, `${name}: draws fill the xavier range`);
      } else if (name.endsWith("alpha")) assert.ok(v.every((x) => x === 1), name);
      else if (name.endsWith("norm.bias")) assert.ok(v.every((x) => x === 0), name);
      else {
        const fanIn = name.includes("linear_2") ? config.dFF : config.dModel;
        assert.ok(max <= 1 / Math.sqrt(fanIn), `${name}: bias within ±1/√fan_in`);
      }
    }
  });
  // Same key, same parameters; another key, other parameters.
  const first = withModel(7, (m) => values(m.params.encoder.layers[0].self_attention_block.w_q.weight));
  assert.deepEqual(withModel(7, (m) => values(m.params.encoder.layers[0].self_attention_block.w_q.weight)), first);
  assert.notDeepEqual(withModel(8, (m) => values(m.params.encoder.layers[0].self_attention_block.w_q.weight)), first);
});

Deno.test("transformer: the sinusoid table matches its definition", () => {
  scope(() => {
    const pe = values(positionalTable(5, 8));
    for (let pos = 0; pos < 5; pos++) {
      for (let i = 0; i < 4; i++) {
        const angle = pos * Math.exp(2 * i * (-Math.log(10000) / 8));
        assert.ok(Math.abs(pe[pos * 8 + 2 * i] - Math.sin(angle)) < 1e-6);
        assert.ok(Math.abs(pe[pos * 8 + 2 * i + 1] - Math.cos(angle)) < 1e-6);
      }
    }
  });
});

Deno.test("transformer: dropout only in train mode, drawn from the mode's key", () => {
  withModel(1, (m) =>
    noGrad(() =>
      scope(() => {
        const src = tensor([[2, 5, 6, 7, 3, 1]], [1, 6], { dtype: "i64" }) as Tensor as Tensor<["batch", "src"]>;
        const tgt = tensor([[2, 8, 9, 1]], [1, 4], { dtype: "i64" }) as Tensor as Tensor<["batch", "tgt"]>;
        const srcMask = paddingMask(src, 1);
        const run = (mode: Parameters<typeof encode>[3]) =>
          values(decode(m, encode(m, src, srcMask, mode), srcMask, tgt, decoderMask(tgt, 1), mode));
        const evalOut = run(evalMode);
        assert.deepEqual(run(evalMode), evalOut, "eval is deterministic");
        const a = run(trainMode(rng(1)));
        assert.deepEqual(run(trainMode(rng(1))), a, "the same key gives the same dropout");
        assert.notDeepEqual(run(trainMode(rng(2))), a, "another key, other masks");
        assert.notDeepEqual(a, evalOut, "train mode drops units");
        const noDrop: Transformer = { ...m, config: { ...m.config, dropout: 0 } };
        const b = values(
          decode(
            noDrop,
            encode(noDrop, src, srcMask, trainMode(rng(1))),
            srcMask,
            tgt,
            decoderMask(tgt, 1),
            trainMode(rng(1)),
          ),
        );
        assert.deepEqual(b, evalOut, "train mode with rate 0 is eval mode");
      })
    ));
});
