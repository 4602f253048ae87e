/** Model folders: round trips, the model. prefix, and clear errors for every kind of broken folder. */
import assert from "node:assert/strict";
import {
  flattenTree,
  free,
  memory,
  rng,
  SafetensorsError,
  scope,
  serializeSafetensors,
  StateMismatchError,
  type Tensor,
  values,
  zeros,
} from "../mod.ts";
import { loadModelFolder, ModelFolderError, saveModelFolder, stateEntries, TokenizerError } from "../nmt/mod.ts";
import { initTransformer } from "../nmt/model/init.ts";
import { FIXTURES, ROOT } from "./helpers/reference.ts";

const SMALL = `${FIXTURES}/parity/small`;

/** A copy of the small fixture folder in a temp dir, for tests that break it. */
async function copyFixture(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "folder-" });
  for (const f of ["config.json", "model.safetensors", "tokenizer_en.json", "tokenizer_it.json"]) {
    await Deno.copyFile(`${SMALL}/${f}`, `${dir}/${f}`);
  }
  return dir;
}

async function rejects(dir: string, kind: new (...a: never[]) => Error, pattern: RegExp): Promise<void> {
  const before = memory().tensors;
  assert.throws(() => loadModelFolder(dir), (e: unknown) => {
    assert.ok(e instanceof kind, `expected ${kind.name}, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.match((e as Error).message, pattern);
    return true;
  });
  assert.equal(memory().tensors, before, "a failed load leaves no tensor behind");
  await Deno.remove(dir, { recursive: true });
}

/** Rewrites model.safetensors with `edit` applied to the (name, tensor) list. */
function rewriteWeights(dir: string, edit: (entries: [string, Tensor][]) => [string, Tensor][]): void {
  scope(() => {
    const folder = loadModelFolder(dir);
    const bytes = serializeSafetensors(edit(stateEntries(folder.model)));
    Deno.writeFileSync(`${dir}/model.safetensors`, bytes);
  });
}

Deno.test("folder: a saved folder loads back with identical tensors, config and tokenizers", async () => {
  const dir = await Deno.makeTempDir({ prefix: "roundtrip-" });
  try {
    const a = loadModelFolder(SMALL);
    await saveModelFolder(`${dir}/model`, a);
    const b = loadModelFolder(`${dir}/model`);
    assert.deepEqual(b.model.config, a.model.config);
    assert.equal(b.srcLang, "en");
    assert.equal(b.tgtLang, "it");
    const fa = stateEntries(a.model), fb = stateEntries(b.model);
    assert.deepEqual(fb.map(([n]) => n), fa.map(([n]) => n));
    fa.forEach(([name, t], i) => assert.deepEqual(values(fb[i][1]), values(t), name));
    assert.deepEqual(await b.srcTokenizer.encode("The dog runs."), await a.srcTokenizer.encode("The dog runs."));
    // saving again over an existing folder replaces it whole, leaving no temporary folders
    await saveModelFolder(`${dir}/model`, b);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["model"]);
    free([a.model.params, a.model.buffers, b.model.params, b.model.buffers]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("folder: the model. prefix and the pe buffers are optional", async () => {
  const prefixed = loadModelFolder(`${FIXTURES}/parity/prefixed`);
  assert.ok(flattenTree(prefixed.model.params).length > 0);
  free([prefixed.model.params, prefixed.model.buffers]);

  const dir = await copyFixture();
  try {
    const original = loadModelFolder(dir);
    const pe = values(original.model.buffers.tgt_pos.pe);
    rewriteWeights(dir, (entries) => entries.filter(([n]) => !n.endsWith("_pos.pe")));
    const computed = loadModelFolder(dir);
    assert.deepEqual(values(computed.model.buffers.tgt_pos.pe), pe, "computed sinusoids equal the reference's buffer");
    free([original.model, computed.model].flatMap((m) => [m.params, m.buffers]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("folder: missing, unexpected and misshapen weights are named", async () => {
  let dir = await copyFixture();
  rewriteWeights(
    dir,
    (entries) =>
      entries.filter(([n]) => n !== "encoder.norm.alpha" && n !== "decoder.layers.1.feed_forward_block.linear_2.bias"),
  );
  await rejects(
    dir,
    StateMismatchError,
    /missing: encoder\.norm\.alpha, decoder\.layers\.1\.feed_forward_block\.linear_2\.bias|missing: decoder\.layers\.1\.feed_forward_block\.linear_2\.bias, encoder\.norm\.alpha/,
  );

  dir = await copyFixture();
  rewriteWeights(dir, (entries) => [...entries, ["encoder.layers.7.extra", zeros([2])]]);
  await rejects(dir, StateMismatchError, /unexpected: encoder\.layers\.7\.extra/);

  dir = await copyFixture();
  rewriteWeights(dir, (entries) => entries.map(([n, t]) => [n, n === "projection_layer.proj.bias" ? zeros([5]) : t]));
  await rejects(
    dir,
    StateMismatchError,
    /shape mismatch: projection_layer\.proj\.bias \[5\] in the file, \[126\] expected/,
  );
});

Deno.test("folder: broken config, tokenizer and weight files give clear errors", async () => {
  let dir = await copyFixture();
  await Deno.writeTextFile(`${dir}/config.json`, "{ not json");
  await rejects(dir, ModelFolderError, /config\.json is not valid JSON/);

  dir = await copyFixture();
  const config = JSON.parse(await Deno.readTextFile(`${SMALL}/config.json`));
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...config, d_model: "big" }));
  await rejects(dir, ModelFolderError, /"d_model" must be a positive integer, got "big"/);

  dir = await copyFixture();
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...config, h: 5 }));
  await rejects(dir, ModelFolderError, /d_model \(32\) must be divisible by config\.h \(5\)/);

  dir = await copyFixture();
  await Deno.remove(`${dir}/tokenizer_it.json`);
  await rejects(dir, TokenizerError, /cannot read tokenizer .*tokenizer_it\.json/);

  dir = await copyFixture();
  await Deno.writeTextFile(`${dir}/tokenizer_en.json`, '{"model": 3}');
  await rejects(dir, TokenizerError, /tokenizer_en\.json is not a tokenizer/);

  dir = await copyFixture();
  const weights = await Deno.readFile(`${dir}/model.safetensors`);
  await Deno.writeFile(`${dir}/model.safetensors`, weights.subarray(0, weights.length - 100));
  await rejects(dir, SafetensorsError, /model\.safetensors: .*truncated/);

  dir = await copyFixture();
  await Deno.remove(`${dir}/model.safetensors`);
  await rejects(dir, ModelFolderError, /cannot read .*model\.safetensors/);

  await rejects(await Deno.makeTempDir(), ModelFolderError, /config\.json is missing/);
});

Deno.test("folder: a freshly initialized model saves and loads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "init-" });
  const tokens = loadModelFolder(SMALL);
  free([tokens.model.params, tokens.model.buffers]);
  const model = initTransformer({ ...tokens.model.config, dModel: 8, layers: 1, heads: 2, dFF: 16 }, rng(1));
  try {
    await saveModelFolder(dir, { ...tokens, model });
    const back = loadModelFolder(dir);
    assert.deepEqual(
      values(back.model.params.projection_layer.proj.weight),
      values(model.params.projection_layer.proj.weight),
    );
    free([back.model.params, back.model.buffers]);
  } finally {
    free([model.params, model.buffers]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("translate task: --json output equals the reference's greedy ids on the fixture", async () => {
  const expected = JSON.parse(await Deno.readTextFile(`${SMALL}/expected.json`));
  const sentences = expected.greedy.slice(0, 5).map((g: { source: string }) => g.source);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "translate", "--model", SMALL, "--json", "--max-len", "20", ...sentences],
    cwd: ROOT,
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const rows = JSON.parse(new TextDecoder().decode(stdout));
  rows.forEach((r: { source: string; translation: string; ids: number[] }, i: number) => {
    assert.equal(r.source, sentences[i]);
    assert.deepEqual(r.ids, expected.greedy[i].ids);
    assert.equal(r.translation, expected.greedy[i].tokens.join(" "));
  });
  const bad = await new Deno.Command(Deno.execPath(), { args: ["task", "-q", "translate", "x"], cwd: ROOT }).output();
  assert.equal(bad.code, 2);
  assert.match(new TextDecoder().decode(bad.stderr), /--model DIR is required/);
});
