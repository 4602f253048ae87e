/**
 * A decoder-only character language model in the style of nanoGPT, written against mod.ts alone:
 * token and position embeddings, pre-norm blocks of causal multi-head attention and a GELU MLP, and
 * an output layer tied to the token embedding. It trains on a text it writes itself (sentences from a
 * small grammar) and then samples from it.
 *
 *   deno run --allow-ffi --allow-env --allow-read examples/char_gpt.ts [--steps N]
 *
 * In 400 steps (under a minute on 2 cores) its loss falls below 0.6 nats per character: the grammar's
 * own entropy is about 0.36, and guessing among the text's 22 characters would cost 3.1. Its samples
 * then read like the grammar.
 * From another project, import from the published URL instead of "../mod.ts".
 */
import {
  adamInit,
  adamUpdate,
  add,
  argmax,
  crossEntropy,
  free,
  gelu,
  item,
  keep,
  linear,
  log,
  memory,
  namedKeys,
  neg,
  nn,
  noGrad,
  ones,
  rand,
  reshape,
  rng,
  scope,
  slice,
  splitKey,
  type Tensor,
  tensor,
  tril,
  valueAndGrad,
  values,
} from "../mod.ts";

// ---- the text: sentences from a small grammar, drawn with a seeded generator ----
function writeText(sentences: number, seed = 1): string {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = (words: string[]) => words[Math.floor(next() * words.length)];
  const nouns = ["cat", "dog", "bird", "fish", "child", "teacher"];
  const verbs = ["sees", "likes", "follows", "finds"];
  const adjectives = ["small", "red", "old", "happy"];
  const phrase = () => `${pick(["the", "a"])} ${next() < 0.4 ? pick(adjectives) + " " : ""}${pick(nouns)}`;
  return Array.from({ length: sentences }, () => `${phrase()} ${pick(verbs)} ${phrase()}.`).join(" ");
}

const text = writeText(4000);
const chars = [...new Set(text)].sort();
const encode = (s: string) => [...s].map((c) => chars.indexOf(c));
const decode = (ids: number[]) => ids.map((i) => chars[i]).join("");
const data = encode(text);

// ---- the model: a tree of tensors, named like nanoGPT's state dict ----
const config = { vocab: chars.length, context: 32, features: 64, heads: 4, layers: 2 };

function initBlock(key = rng(0)) {
  const k = namedKeys(key, ["attn", "fc", "proj"]);
  const { features } = config;
  return {
    ln_1: nn.layerNorm.init(features),
    attn: nn.attention.init(k.attn, features, { bias: true }),
    ln_2: nn.layerNorm.init(features),
    mlp: { c_fc: nn.linear.init(k.fc, features, 4 * features), c_proj: nn.linear.init(k.proj, 4 * features, features) },
  };
}

function init(key = rng(0)) {
  const k = namedKeys(key, ["wte", "wpe", "blocks"]);
  const blockKeys = splitKey(k.blocks, config.layers);
  return {
    wte: nn.embedding.init(k.wte, config.vocab, config.features), // also the output layer (weight tying)
    wpe: nn.embedding.init(k.wpe, config.context, config.features),
    h: blockKeys.map(initBlock),
    ln_f: nn.layerNorm.init(config.features),
  };
}
type Params = ReturnType<typeof init>;
type Block = Params["h"][number];

/** The causal mask [t, t]: position i attends to positions up to i. */
const causalMask = (t: number) => tril(ones([t, t], { dtype: "bool" }));

function block(b: Block, x: Tensor, mask: Tensor): Tensor {
  const h = nn.layerNorm.apply(b.ln_1, x);
  x = add(x, nn.attention.apply(b.attn, h, h, config.heads, { mask }));
  const m = nn.linear.apply(b.mlp.c_proj, gelu(nn.linear.apply(b.mlp.c_fc, nn.layerNorm.apply(b.ln_2, x))));
  return add(x, m);
}

/** Logits [batch, t, vocab] for ids [batch, t]. */
function forward(p: Params, ids: Tensor): Tensor {
  const t = ids.shape[1];
  const positions = tensor([...Array(t).keys()], [t], { dtype: "i64" });
  let x = add(nn.embedding.apply(p.wte, ids), nn.embedding.apply(p.wpe, positions));
  const mask = causalMask(t);
  for (const b of p.h) x = block(b, x, mask);
  return linear(nn.layerNorm.apply(p.ln_f, x), p.wte.weight); // tied: logits = x · wteᵀ
}

function loss(p: Params, ids: Tensor, targets: Tensor): Tensor {
  const [batch, t] = ids.shape;
  return crossEntropy(reshape(forward(p, ids), [batch * t, config.vocab]), reshape(targets, [batch * t]));
}

// ---- batches: random windows of the text, targets shifted by one ----
function batch(step: number, size = 32): { ids: Tensor; targets: Tensor } {
  const starts = values(rand([size], rng(1000 + step))).map((u) => Math.floor(u * (data.length - config.context - 1)));
  const window = (offset: number) => starts.flatMap((s) => data.slice(s + offset, s + offset + config.context));
  return {
    ids: tensor(window(0), [size, config.context], { dtype: "i64" }),
    targets: tensor(window(1), [size, config.context], { dtype: "i64" }),
  };
}

// ---- sampling: the Gumbel-max trick draws from softmax(logits) with explicit keys ----
function sample(p: Params, prompt: string, length: number, key = rng(7)): string {
  const ids = encode(prompt);
  noGrad(() => {
    for (let i = 0; i < length; i++) {
      const next = scope(() => {
        const context = ids.slice(-config.context);
        const logits = forward(p, tensor(context, [1, context.length], { dtype: "i64" }));
        const last = slice(logits, 1, context.length - 1, context.length); // [1, 1, vocab]
        const gumbel = neg(log(neg(log(rand([config.vocab], splitKey(key, length)[i])))));
        return item(argmax(reshape(add(last, gumbel), [config.vocab]), 0));
      });
      ids.push(next);
    }
  });
  return decode(ids);
}

// ---- training: one flat loop ----
const steps = Number(Deno.args[Deno.args.indexOf("--steps") + 1] ?? 0) || 400;
let params = init();
let opt = adamInit(params);
const live = memory().tensors;
const started = performance.now();
let last = NaN;
for (let step = 1; step <= steps; step++) {
  // forward, backward and update in one scope: every temporary is freed at its end
  const next = scope(() => {
    const { ids, targets } = batch(step);
    const { value, grads } = valueAndGrad(loss)(params, ids, targets);
    last = item(value);
    const { params: p, state } = adamUpdate(params, grads, opt, { lr: 3e-3 });
    return { p, state };
  });
  free([params, opt.m, opt.v]);
  params = keep(next.p);
  opt = keep(next.state);
  if (step % 100 === 0) console.log(`step ${step}: loss ${last.toFixed(4)}`);
}
const seconds = (performance.now() - started) / 1000;
const sampled = sample(params, "the ", 120);
console.log(sampled);
console.log(JSON.stringify({ loss: last, seconds, sample: sampled, leakedTensors: memory().tensors - live }));
free([params, opt.m, opt.v]);
