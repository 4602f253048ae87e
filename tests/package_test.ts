/**
 * The package as other projects see it: every export of its three entry points documented (`deno doc --lint`), and
 * `deno publish --dry-run` accepting deno.json's name, version, license, exports and file list.
 */
import assert from "node:assert/strict";

import { deno as run } from "./helpers/deno.ts";

async function deno(...args: string[]) {
  const { code, stdout, stderr } = await run(args);
  return { code, out: stdout + stderr };
}

Deno.test("deno doc --lint on every entry point: every public symbol is documented, no private type leaks", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const entries = Object.values(config.exports) as string[];
  assert.deepEqual(entries, ["./mod.ts", "./nmt/mod.ts", "./nmt/metrics/mod.ts"]);
  const r = await deno("doc", "--lint", ...entries);
  assert.equal(r.code, 0, r.out);
});

Deno.test("deno publish --dry-run: the package is complete", async () => {
  const r = await deno("publish", "--dry-run", "--allow-dirty");
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /Dry run complete/);
  for (
    const needed of ["mod.ts", "native/core.cpp", "native/Makefile", "scripts/build_native.ts", "scripts/setup.sh"]
  ) {
    assert.ok(r.out.includes(`/${needed}`), `${needed} is published`);
  }
  assert.ok(!r.out.includes("/tests/"), "tests are not published");
});
