/**
 * The layout's rules, read off Deno's own module graph (`deno info --json`, which is what an import
 * loads): the library entry point loads no npm package and nothing of the translator; the metrics
 * load nothing but themselves; the binding knows no DSL; and each layer imports only the one below.
 */
import assert from "node:assert/strict";

import { deno } from "./helpers/deno.ts";

const ROOT = new URL("..", import.meta.url).href;
const ROOT_PATH = decodeURIComponent(new URL("..", import.meta.url).pathname);

interface GraphModule {
  specifier: string;
  kind?: string;
  dependencies?: { specifier: string; code?: { specifier?: string }; type?: { specifier?: string } }[];
}

/** Every module an import of `entry` loads, keyed by its path inside the repository (or its URL outside it). */
async function moduleGraph(entry: string): Promise<Map<string, string[]>> {
  const { code, stdout, stderr } = await deno(["info", "--json", entry]);
  assert.equal(code, 0, stderr);
  const { modules } = JSON.parse(stdout) as { modules: GraphModule[] };
  const local = (s: string) => s.startsWith(ROOT) ? s.slice(ROOT.length) : s;
  const graph = new Map<string, string[]>();
  for (const m of modules) {
    const deps = (m.dependencies ?? []).flatMap((d) => [d.code?.specifier, d.type?.specifier]);
    graph.set(local(m.specifier), deps.filter((s): s is string => s !== undefined).map(local));
  }
  return graph;
}

/** The modules of `graph` that `from` imports directly and that `forbidden` matches, as "a → b" lines. */
function offending(graph: Map<string, string[]>, from: RegExp, forbidden: RegExp): string[] {
  return [...graph].filter(([m]) => from.test(m)).flatMap(([m, deps]) =>
    deps.filter((d) => forbidden.test(d)).map((d) => `${m} → ${d}`)
  );
}

Deno.test('"." (mod.ts) loads no npm package and nothing of the translator', async () => {
  const graph = await moduleGraph("mod.ts");
  const outside = [...graph.keys()].filter((m) => !/^(mod\.ts|lib\/|ffi\/)/.test(m));
  assert.deepEqual(outside, [], "every module of the library entry point is in lib/ or ffi/");
  assert.ok(graph.has("lib/tensor.ts") && graph.has("ffi/lib.ts"), "the graph was read");
});

Deno.test('"./metrics" loads only the metrics: no tensors, no native library, no npm package', async () => {
  const graph = await moduleGraph("nmt/metrics/mod.ts");
  const outside = [...graph.keys()].filter((m) => !/^(nmt\/metrics\/|deno\.json$)/.test(m));
  assert.deepEqual(outside, []);
});

Deno.test('"./nmt" is the translator, built on the library', async () => {
  const graph = await moduleGraph("nmt/mod.ts");
  assert.ok(graph.has("nmt/model/transformer.ts") && graph.has("lib/tensor.ts"));
  assert.ok([...graph.keys()].some((m) => m.startsWith("npm:")), "the translator's tokenizers come from npm");
});

/** The graph of every module in the repository's code folders (not tests), read at once. */
async function wholeGraph(): Promise<Map<string, string[]>> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(`${ROOT_PATH}${dir}`)) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`);
      else if (e.name.endsWith(".ts")) files.push(`${dir}/${e.name}`);
    }
  };
  for (const dir of ["ffi", "lib", "nmt", "scripts", "examples"]) await walk(dir);
  const all = `${ROOT_PATH}build/layout-all-modules.ts`;
  await Deno.mkdir(`${ROOT_PATH}build`, { recursive: true });
  await Deno.writeTextFile(all, ["mod.ts", ...files].map((f) => `import "../${f}";`).join("\n") + "\n");
  const graph = await moduleGraph(all);
  graph.delete("build/layout-all-modules.ts");
  assert.ok(files.every((f) => graph.has(f)), "every file is in the graph");
  return graph;
}

Deno.test("each layer imports only layers below it, in every file", async () => {
  const graph = await wholeGraph();
  // The binding knows no DSL.
  assert.deepEqual(offending(graph, /^ffi\//, /^(mod\.ts|lib\/|nmt\/|scripts\/)/), []);
  // The library imports nothing of the translator or the scripts.
  assert.deepEqual(offending(graph, /^(mod\.ts|lib\/)/, /^(nmt|scripts)\//), []);
  // The core (tensors, ops, autograd, trees, collectives) imports nothing of what is built on it.
  assert.deepEqual(offending(graph, /^lib\/([^/]+\.ts|ops\/)/, /^lib\/(nn|optim|io)\//), []);
  // Layers, optimizers and file formats are written with the DSL's ops, not native calls.
  assert.deepEqual(offending(graph, /^lib\/(nn|optim|io)\//, /^ffi\//), []);
  // The translator reaches native code only through the library, and knows nothing of the scripts.
  assert.deepEqual(offending(graph, /^nmt\//, /^(ffi|scripts)\//), []);
  // Examples are written against the library's entry point alone.
  assert.deepEqual(offending(graph, /^examples\//, /^(?!mod\.ts$)/), []);
  // Entry points reach native code through the library too; the benchmarks, which time the raw
  // binding against the DSL, and build_native.ts, which builds the library the binding opens, are
  // the deliberate exceptions.
  assert.deepEqual(offending(graph, /^scripts\/(?!bench\/|build_native\.ts$)/, /^ffi\//), []);
});
