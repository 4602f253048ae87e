/** The examples in examples/ run as a user would run them, and do what they say. */
import assert from "node:assert/strict";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);

Deno.test("examples/xor_mlp.ts: learns XOR from mod.ts alone, leaking nothing", async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-env", "--allow-read", "examples/xor_mlp.ts"],
    cwd: ROOT,
  }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, text.decode(stderr));
  const lines = text.decode(stdout).trim().split("\n");
  assert.match(lines[0], /^step 100: loss \d/);
  const result = JSON.parse(lines[lines.length - 1]);
  assert.equal(result.accuracy, 1, "all four points classified");
  assert.ok(result.loss < 0.01, `final loss ${result.loss}`);
  assert.equal(result.leakedTensors, 0);
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
