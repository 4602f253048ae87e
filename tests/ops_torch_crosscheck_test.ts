/**
 * Optional cross-check of a few ops against the real PyTorch (Debian's python3-torch at
 * /usr/bin/python3), computed in float64 from the same inputs. Skipped, with a notice, where that
 * Python or its torch module is missing; the other op tests never depend on Python.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert";
import {
  crossEntropy,
  free,
  gelu,
  layerNorm,
  logSoftmax,
  logsumexp,
  matmul,
  ones,
  randint,
  randn,
  rng,
  scaledDotProductAttention,
  scope,
  softmax,
  std,
  type Tensor,
  tensor,
  topk,
  tril,
  var_,
} from "../mod.ts";
import { assertClose, values } from "./ops_helpers.ts";

import { PYTHON } from "./helpers/reference.ts";

function torchAvailable(): boolean {
  try {
    const r = new Deno.Command(PYTHON, { args: ["-c", "import torch"], stdout: "null", stderr: "null" }).outputSync();
    return r.success;
  } catch {
    return false; // no such binary, or no --allow-run
  }
}

const HAVE_TORCH = torchAvailable();
if (!HAVE_TORCH) {
  console.warn(`ops_torch_crosscheck_test: skipped: \`${PYTHON} -c "import torch"\` failed (PyTorch not installed)`);
}

// The Python side: reads {name: {v, s}} inputs (and options) on stdin, writes {name: values} on stdout.
const SCRIPT = String.raw`
import json, math, sys
import torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)
inp = json.load(sys.stdin)
def t(name, dtype=torch.float64):
    return torch.tensor(inp[name]["v"], dtype=dtype).reshape(inp[name]["s"])
x = t("x")
out = {}
out["softmax"] = torch.softmax(x, -1)
out["log_softmax0"] = torch.log_softmax(x, 0)
out["logsumexp1"] = torch.logsumexp(x, 1)
out["std_unbiased"] = torch.std(x, 1, unbiased=True)
out["var_biased"] = torch.var(x, 0, unbiased=False)
out["gelu"] = F.gelu(x)
out["gelu_tanh"] = F.gelu(x, approximate="tanh")
w, b = t("w"), t("b")
out["layer_norm"] = F.layer_norm(x, (x.shape[-1],), w, b, 1e-5)
logits, target = t("logits"), t("target", torch.int64)
for red in ["mean", "sum", "none"]:
    out["ce_" + red] = F.cross_entropy(logits, target, ignore_index=-100, label_smoothing=0.1, reduction=red)
a, m = t("a"), t("m")
out["matmul"] = a @ m
q, k, v = t("q"), t("k"), t("v")
mask = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
out["sdpa_causal"] = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1) @ v
vals, idx = torch.topk(x, 3, dim=-1, largest=False)
out["topk_values"], out["topk_indices"] = vals, idx
json.dump({key: val.flatten().tolist() for key, val in out.items()}, sys.stdout)
`;

async function runTorch(inputs: Record<string, Tensor>): Promise<Record<string, number[]>> {
  const payload: Record<string, { v: number[]; s: number[] }> = {};
  for (const [k, t] of Object.entries(inputs)) payload[k] = { v: values(t), s: [...t.shape] };
  const child = new Deno.Command(PYTHON, { args: ["-c", SCRIPT], stdin: "piped", stdout: "piped", stderr: "piped" })
    .spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify(payload)));
  await writer.close();
  const r = await child.output();
  if (!r.success) throw new Error(`python torch failed:\n${new TextDecoder().decode(r.stderr)}`);
  return JSON.parse(new TextDecoder().decode(r.stdout));
}

Deno.test({
  name: "cross-check against PyTorch (python3-torch): softmax, layerNorm, crossEntropy, attention, ...",
  ignore: !HAVE_TORCH,
  async fn() {
    // Inputs are made (and kept) outside the async gap, since scopes take synchronous functions;
    // they are freed by hand at the end.
    const inputs = scope(() => {
      // One target is ignored (-100).
      const tv = values(randint(0, 4, [6], rng(5)));
      tv[2] = -100;
      return {
        x: randn([3, 5], rng(1)),
        w: randn([5], rng(2)),
        b: randn([5], rng(3)),
        logits: randn([6, 4], rng(4)),
        target: tensor(tv, [6], { dtype: "i64" }),
        a: randn([2, 3, 4], rng(6)),
        m: randn([4, 2], rng(7)),
        q: randn([2, 4, 3], rng(8)),
        k: randn([2, 4, 3], rng(9)),
        v: randn([2, 4, 3], rng(10)),
      };
    });
    try {
      const ours = scope(() => {
        const { x, w, b, logits, target, a, m, q, k, v } = inputs;
        const causal = tril(ones([4, 4], { dtype: "bool" }));
        const smallest = topk(x, 3, -1, { largest: false });
        const r: Record<string, number[]> = {
          softmax: values(softmax(x, -1)),
          log_softmax0: values(logSoftmax(x, 0)),
          logsumexp1: values(logsumexp(x, 1)),
          std_unbiased: values(std(x, 1)),
          var_biased: values(var_(x, 0, { unbiased: false })),
          gelu: values(gelu(x)),
          gelu_tanh: values(gelu(x, "tanh")),
          layer_norm: values(layerNorm(x, w, b)),
          ce_mean: values(crossEntropy(logits, target, { labelSmoothing: 0.1 })),
          ce_sum: values(crossEntropy(logits, target, { labelSmoothing: 0.1, reduction: "sum" })),
          ce_none: values(crossEntropy(logits, target, { labelSmoothing: 0.1, reduction: "none" })),
          matmul: values(matmul(a, m)),
          sdpa_causal: values(scaledDotProductAttention(q, k, v, { mask: causal })),
          sdpa_causal_plain: values(scaledDotProductAttention(q, k, v, { mask: causal, fused: false })),
          topk_values: values(smallest.values),
          topk_indices: values(smallest.indices),
        };
        return r;
      });
      const theirs = await runTorch(inputs);
      const compared = Object.keys(ours).filter((k) => k !== "sdpa_causal_plain").sort();
      assert.deepStrictEqual(Object.keys(theirs).sort(), compared, "Python returned every result");
      for (const [name, want] of Object.entries(theirs)) {
        assertClose(ours[name], want, `${name} vs PyTorch`, { atol: 1e-5, rtol: 1e-5 });
      }
      assertClose(ours.sdpa_causal_plain, theirs.sdpa_causal, "plain sdpa_causal vs PyTorch", {
        atol: 1e-5,
        rtol: 1e-5,
      });
    } finally {
      free(inputs);
    }
  },
});
