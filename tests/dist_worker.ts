/**
 * A rank of tests/dist_test.ts: joins the group from torchrun's variables and runs one scenario, on
 * DIST_DEVICE ("cpu": Gloo, the default; "cuda": NCCL, this rank on cuda:LOCAL_RANK).
 */
import {
  allReduceMean,
  backendFor,
  barrier,
  broadcast,
  destroyDistributed,
  distributedConfigFromEnv,
  initDistributed,
  rank,
  rankDevice,
  valueAndGradAllReduced,
  worldSize,
} from "../lib/dist.ts";
import type { Device } from "../lib/device.ts";
import { adamInit, add, flattenTree, free, keep, mul, rng, scope, sum, tensor, values } from "../mod.ts";
import { initTransformer, padBatch, trainStep } from "../nmt/mod.ts";
import { decoderMask, paddingMask } from "../nmt/model/transformer.ts";

const scenario = Deno.args[0];
const config = distributedConfigFromEnv();
const requested = (Deno.env.get("DIST_DEVICE") ?? "cpu") as Device;
const device = config ? rankDevice(config, requested) : requested;
if (config) {
  const timeoutMs = Number(Deno.env.get("DIST_TIMEOUT_MS") ?? "20000");
  initDistributed({ ...config, backend: backendFor(device), timeoutMs });
}

/** Rows of ids for (step, rank): deterministic, of varied lengths, so batches pad differently. */
function rows(step: number, r: number, count: number, vocab: number): number[][] {
  let x = 12345 + 1000 * step + 17 * r;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  return Array.from(
    { length: count },
    () => Array.from({ length: 3 + Math.floor(next() * 6) }, () => 4 + Math.floor(next() * (vocab - 4))),
  );
}

/** 3 steps of a small Transformer; "train" is one rank of 2, "train-union" one process on the union. */
function train(union: boolean) {
  const cfg = {
    srcVocabSize: 40,
    tgtVocabSize: 50,
    srcSeqLen: 16,
    tgtSeqLen: 16,
    dModel: 16,
    layers: 1,
    heads: 2,
    dropout: 0,
    dFF: 32,
  };
  let model = keep(initTransformer(cfg, rng(0), device));
  let opt = keep(adamInit(model.params));
  for (let step = 0; step < 3; step++) {
    const ranks = union ? [0, 1] : [rank()];
    const src = ranks.flatMap((r) => rows(step, r, 2 + r, cfg.srcVocabSize));
    const tgtRows = ranks.flatMap((r) => rows(step + 100, r, 2 + r, cfg.tgtVocabSize));
    const next = scope(() => {
      const s = padBatch<"src">(src.map((row) => [2, ...row, 3]), 1, undefined, { device });
      const t = padBatch<"tgt">(tgtRows.map((row) => [2, ...row]), 1, undefined, { device });
      const label = padBatch<"tgt">(tgtRows.map((row) => [...row, 3]), 1, undefined, { device });
      const batch = { src: s, tgt: t, label, srcMask: paddingMask(s, 1), tgtMask: decoderMask(t, 1) };
      return trainStep(model, opt, batch, rng(step), {
        adam: { lr: 1e-3 },
        clip: 0.5,
        labelSmoothing: 0.1,
        pad: 1,
        dataParallel: !union,
      });
    });
    if (next.skipped) throw new Error(`step ${step} was skipped: non-finite gradients`);
    free([model.params, opt.m, opt.v]);
    model = { ...model, params: keep(next.params) };
    opt = keep(next.optState);
    if (step === 2) {
      const flat = flattenTree(model.params).flatMap(([, t]) => values(t));
      // Data-parallel steps report all ranks' targets; the union's are counted here: each row plus [EOS].
      const tokens = next.tokens ?? tgtRows.reduce((n, row) => n + row.length + 1, 0);
      console.log(JSON.stringify({ loss: next.loss, tokens, params: flat }));
    }
  }
}

if (scenario === "train" || scenario === "train-union") {
  train(scenario === "train-union");
  if (config) destroyDistributed();
} else if (scenario === "collectives") {
  const r = rank();
  // Each rank holds different values; the mean and rank 0's values are known by hand.
  const grads = {
    a: tensor([r + 1, 10 * (r + 1)], undefined, { device }),
    b: [tensor([[r, -r], [2 * r, 0.5]], undefined, { device })],
  };
  const mean = allReduceMean(grads);
  const fromRoot = broadcast({ p: tensor([100 + r, 200 + r, 300 + r], undefined, { device }) });
  barrier();
  console.log(JSON.stringify({
    rank: r,
    size: worldSize(),
    device: mean.a.device,
    a: values(mean.a),
    b: values(mean.b[0]),
    p: values(fromRoot.p),
  }));
  destroyDistributed();
} else if (scenario === "grad-allreduce") {
  // loss_r = Σ w·x_r + r·Σ v² (u unused): the summed gradients are w: x_0 + x_1, v: 2v·(0 + 1), u: 0.
  const r = rank();
  const on = { device };
  const params = {
    w: tensor([1, 2, 3, 4, 5, 6], [2, 3], on),
    v: [tensor([0.5, -1], undefined, on)],
    u: tensor([7, 8, 9], undefined, on),
  };
  const x = tensor([r + 1, 2 * r, -r, 3, r * r, 0.25], [2, 3], on);
  const loss = (p: typeof params) => add(sum(mul(p.w, x)), mul(sum(mul(p.v[0], p.v[0])), r));
  const results = [1e-6, 25].map((bucketMb) =>
    scope(() => {
      const { value, grads } = valueAndGradAllReduced(loss, { bucketMb })(params);
      return { value: values(value)[0], w: values(grads.w), v: values(grads.v[0]), u: values(grads.u) };
    })
  );
  console.log(JSON.stringify({ rank: r, results }));
  destroyDistributed();
} else if (scenario === "die" || scenario === "stall") {
  // Rank 1 leaves ("die") or stays but never joins the collective ("stall": its connections stay
  // open, so only the timeout can tell); the others must fail, not hang.
  if (rank() === 1) {
    if (scenario === "stall") await new Promise((wake) => setTimeout(wake, 60_000));
    Deno.exit(0);
  }
  const started = performance.now();
  try {
    allReduceMean({ a: tensor([1], undefined, { device }) });
    console.log("no error");
  } catch (e) {
    console.log(JSON.stringify({ error: (e as Error).message, ms: performance.now() - started }));
  }
  Deno.exit(0); // without waiting for a stalled peer
}
