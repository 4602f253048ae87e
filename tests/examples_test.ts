/** The examples in examples/ run as a user would run them, and do what they say. */
import assert from "node:assert/strict";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);

/** The JSON line an example ends with: each prints the fields it measures, so a test reads only those. */
interface ExampleSummary {
  loss: number;
  leakedTensors: number;
  seconds: number;
  accuracy: number;
  maxError: number;
  sample: string;
}

/** Runs examples/NAME.ts as a user would; its stdout lines, and the JSON summary it prints last. */
async function runExample(name: string): Promise<{ lines: string[]; result: ExampleSummary }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-env", "--allow-read", `examples/${name}.ts`],
    cwd: ROOT,
  }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, text.decode(stderr));
  const lines = text.decode(stdout).trim().split("\n");
  return { lines, result: JSON.parse(lines[lines.length - 1]) };
}

Deno.test("examples/xor_mlp.ts: learns XOR from mod.ts alone, leaking nothing", async () => {
  const { lines, result } = await runExample("xor_mlp");
  assert.match(lines[0], /^step 100: loss \d/);
  assert.equal(result.accuracy, 1, "all four points classified");
  assert.ok(result.loss < 0.01, `final loss ${result.loss}`);
  assert.equal(result.leakedTensors, 0);
});

Deno.test("examples/char_gpt.ts: a causal character model learns its grammar's text and samples from it", async () => {
  const { result } = await runExample("char_gpt");
  assert.ok(result.loss < 0.6, `final loss ${result.loss} nats per character (the stated bound is 0.6)`);
  assert.equal(result.leakedTensors, 0);
  // The samples read like the grammar: most of their whole words are its words.
  const grammar = new Set(
    "the a cat dog bird fish child teacher sees likes follows finds small red old happy".split(" "),
  );
  const words = result.sample.split(/[ .]+/).slice(1, -1).filter(Boolean);
  const known = words.filter((w) => grammar.has(w)).length;
  assert.ok(
    words.length >= 15 && known / words.length >= 0.8,
    `${known} of ${words.length} sampled words: ${result.sample}`,
  );
  console.log(`char_gpt: loss ${result.loss.toFixed(3)} after 400 steps in ${result.seconds.toFixed(1)} s`);
});

Deno.test("examples/pinn.ts: second derivatives through nested transforms solve u'' = -π² sin(πx)", async () => {
  const { result } = await runExample("pinn");
  // The network never sees u itself: a small error against sin(πx) means u'' was right.
  assert.ok(result.maxError < 0.002, `largest error against sin(πx): ${result.maxError} (the stated bound is 0.002)`);
  assert.equal(result.leakedTensors, 0);
  console.log(
    `pinn: max error ${result.maxError.toExponential(2)} after 1,500 steps in ${result.seconds.toFixed(1)} s`,
  );
});

Deno.test("examples/cnn.ts: conv2d, batch norm and max pooling classify drawn shapes, statistics kept explicitly", async () => {
  const { result } = await runExample("cnn");
  // Held-out images, classified in evaluation mode with the running statistics the loop carried.
  assert.ok(result.accuracy >= 0.98, `held-out accuracy ${result.accuracy} (the stated bound is 0.98)`);
  assert.equal(result.leakedTensors, 0);
  console.log(`cnn: accuracy ${result.accuracy} after 300 steps in ${result.seconds.toFixed(1)} s`);
});

Deno.test("examples/ import only mod.ts from the project", async () => {
  for await (const e of Deno.readDir(`${ROOT}examples`)) {
    if (!e.name.endsWith(".ts")) continue;
    const source = await Deno.readTextFile(`${ROOT}examples/${e.name}`);
    const imports = [...source.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]);
    for (const spec of imports) assert.equal(spec, "../mod.ts", `${e.name} imports ${spec}`);
  }
});

Deno.test("ffi/paths.ts VERSION matches deno.json's version (the library cache is per version)", async () => {
  const { VERSION } = await import("../ffi/paths.ts");
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  assert.equal(VERSION, config.version);
});
