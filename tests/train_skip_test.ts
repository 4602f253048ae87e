/**
 * The training loop end to end when a step's loss is finite but its gradients are not: it says
 * "skipped step N", writes no train line, and leaves the parameters and optimizer state as they were.
 *
 * The provocation is real arithmetic, not an injected fault: with dropout off, source embeddings set
 * to one constant of 1.25e9 per row make every row of the first layer norm's input equal across its
 * features (the positional encoding, at most 1 in size, vanishes beside 1e10 in f32). Its standard
 * deviation is then exactly 0: the forward pass divides 0 by (0 + eps) and stays finite, while the
 * gradient of the deviation is 0/0, NaN, as in PyTorch.
 */
import assert from "node:assert/strict";
import { parseSafetensorsHeader } from "../mod.ts";

const TRAIN = new URL("../scripts/train.ts", import.meta.url).pathname;

async function train(args: string[]): Promise<string> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TRAIN, "--synthetic-size", "2000", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  assert.ok(r.success, text.slice(-3000));
  return text;
}

/** Overwrites every f32 of one tensor of a safetensors file with `value`. */
async function fillTensor(path: string, name: string, value: number): Promise<void> {
  const bytes = await Deno.readFile(path);
  const entry = parseSafetensorsHeader(bytes, path).entries.find((e) => e.name === name);
  assert.ok(entry && entry.dtype === "f32", `${name} in ${path}`);
  new Float32Array(bytes.buffer, entry.begin, (entry.end - entry.begin) / 4).fill(value);
  await Deno.writeFile(path, bytes);
}

Deno.test("a finite loss with non-finite gradients: the loop logs 'skipped step N' and changes nothing", async () => {
  const out = await Deno.makeTempDir({ prefix: "skip-" });
  try {
    await train(["--dropout", "0", "--epochs", "1", "--max-steps", "1", "--out", out]);
    const checkpoint = `${out}/checkpoints/step-00000001`;
    await fillTensor(`${checkpoint}/model.safetensors`, "src_embed.embedding.weight", 1.25e9);
    const model = await Deno.readFile(`${checkpoint}/model.safetensors`);
    const optimizer = await Deno.readFile(`${checkpoint}/optimizer.safetensors`);

    const log = await train(["--resume", out, "--max-steps", "3"]);
    assert.match(log, /skipped step 2: non-finite gradients/);
    const trainLines = (await Deno.readTextFile(`${out}/metrics.jsonl`)).trim().split("\n")
      .map((l) => JSON.parse(l)).filter((e) => e.kind === "train");
    assert.deepEqual(trainLines.map((e) => e.step), [1]); // no step after the first was taken

    // The run's final checkpoint holds exactly what it resumed from.
    const last = (await Array.fromAsync(Deno.readDir(`${out}/checkpoints`))).map((e) => e.name).sort().at(-1);
    assert.deepEqual(await Deno.readFile(`${out}/checkpoints/${last}/model.safetensors`), model);
    assert.deepEqual(await Deno.readFile(`${out}/checkpoints/${last}/optimizer.safetensors`), optimizer);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
