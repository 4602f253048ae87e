/** Checkpoint averaging: the mean of each weight, the CLI around it, and refusal of unlike models. */
import assert from "node:assert/strict";
import { denoTask } from "./helpers/deno.ts";
import { loadModelFolder, saveModelFolder } from "../nmt/io/folder.ts";
import { averageModels } from "../nmt/train/average.ts";
import { flattenTree, mapTree } from "../lib/tree.ts";
import { add } from "../lib/ops/elementwise.ts";
import { data } from "../lib/transfer.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const SMALL = `${ROOT}tests/fixtures/parity/small`;

const averageTask = (...args: string[]) => denoTask("average", args);

Deno.test("average: every weight is the mean of the checkpoints' (library, CLI, and --last N of a run)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "average_" });
  try {
    {
      const a = loadModelFolder(SMALL);
      // A second "checkpoint": every weight shifted by a different amount per tensor.
      let k = 0;
      const shifted = {
        ...a,
        model: { ...a.model, params: mapTree(a.model.params, (t) => add(t, 0.25 * ++k)) as typeof a.model.params },
      };
      await saveModelFolder(`${dir}/b`, shifted);
      const b = loadModelFolder(`${dir}/b`);
      const expect = (x: number, y: number) => Math.fround(Math.fround(x + y) / 2);
      const check = (avg: ReturnType<typeof averageModels>) => {
        const [fa, fb, fm] = [a, b, avg].map((f) => flattenTree(f.model.params));
        assert.equal(fm.length, fa.length);
        fm.forEach(([path, t], i) => {
          assert.equal(path, fa[i][0]);
          assert.deepEqual(t.shape, fa[i][1].shape);
          const [x, y, m] = [data(fa[i][1]), data(fb[i][1]), data(t)] as Float32Array[];
          for (let j = 0; j < m.length; j++) {
            if (Math.abs(m[j] - expect(x[j], y[j])) > 1e-6) {
              assert.fail(`${path}[${j}]: ${m[j]} vs ${expect(x[j], y[j])}`);
            }
          }
        });
      };
      check(averageModels([a, b]));

      const r = await averageTask("--out", `${dir}/avg`, SMALL, `${dir}/b`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /averaged 2 models into/);
      check(loadModelFolder(`${dir}/avg`));

      // --last 2 RUN: the two newest of a run's three checkpoints (the oldest, far off, must not count).
      const checkpoints = `${dir}/run/checkpoints`;
      const far = { ...a, model: { ...a.model, params: mapTree(a.model.params, (t) => add(t, 100)) } };
      await saveModelFolder(`${checkpoints}/step-00000001`, far as typeof a);
      await saveModelFolder(`${checkpoints}/step-00000002`, a);
      await saveModelFolder(`${checkpoints}/step-00000003`, b);
      const last = await averageTask("--out", `${dir}/avg-last`, "--last", "2", `${dir}/run`);
      assert.equal(last.code, 0, last.stderr);
      assert.match(last.stdout, /averaged 2 models into .*step-00000002\n.*step-00000003/s);
      check(loadModelFolder(`${dir}/avg-last`));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("average: unlike models and bad usage are refused with a clear message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "average_bad_" });
  try {
    await Deno.mkdir(`${dir}/other`);
    for await (const e of Deno.readDir(SMALL)) await Deno.copyFile(`${SMALL}/${e.name}`, `${dir}/other/${e.name}`);
    const config = JSON.parse(await Deno.readTextFile(`${SMALL}/config.json`));
    await Deno.writeTextFile(`${dir}/other/config.json`, JSON.stringify({ ...config, dropout: 0.3 }));
    const unlike = await averageTask("--out", `${dir}/avg`, SMALL, `${dir}/other`);
    assert.equal(unlike.code, 1);
    assert.match(
      unlike.stderr,
      /other differs from .*small in its config; only checkpoints of one run can be averaged/,
    );
    await assert.rejects(Deno.stat(`${dir}/avg`), Deno.errors.NotFound);

    const cases: [string[], RegExp][] = [
      [[SMALL], /--out DIR is required/],
      [["--out", `${dir}/x`], /name the model folders to average, or --last N RUN/],
      [["--out", `${dir}/x`, "--last", "0", dir], /--last must be a positive integer, got "0"/],
      [["--out", `${dir}/x`, "--last", "2", dir], /checkpoints holds no checkpoints/],
      [["--out", `${dir}/x`, "--last", "2", dir, SMALL], /--last N takes one run folder, got 2/],
    ];
    for (const [args, message] of cases) {
      const r = await averageTask(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
