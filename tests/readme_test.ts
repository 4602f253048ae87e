/**
 * The README's TypeScript examples type-check as written, importing each name from the entry point
 * that exports it: the library from "./mod.ts", the translator from "./nmt/mod.ts".
 */
import assert from "node:assert/strict";

import { deno, ROOT } from "./helpers/deno.ts";

Deno.test("README: every ```ts example type-checks against the entry points it imports", async () => {
  const readme = await Deno.readTextFile(`${ROOT}README.md`);
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(blocks.length >= 2, "the README has TypeScript examples");
  // The examples are written from the repository root; checked from build/, one folder down.
  const dir = `${ROOT}build/readme-examples`;
  await Deno.mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [i, block] of blocks.entries()) {
    assert.match(block, /from "\.\/(mod|nmt\/mod|nmt\/metrics\/mod)\.ts"/, `example ${i + 1} imports an entry point`);
    const file = `${dir}/example_${i + 1}.ts`;
    await Deno.writeTextFile(file, block.replaceAll('from "./', 'from "../../'));
    files.push(file);
  }
  const { code, stderr } = await deno(["check", ...files]);
  assert.equal(code, 0, stderr);
});
