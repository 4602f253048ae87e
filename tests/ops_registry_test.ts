/**
 * The op registry (scripts/ops/registry.ts) against what it describes: each entry is an export of
 * mod.ts with a documented example, each tensor op the fuzzer knows is registered, "differentiable"
 * means a finite-difference case exists (and the other way round), and docs/ops.md is current.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import * as torch from "../mod.ts";
import { OPS } from "../scripts/ops/registry.ts";
import { countsLine, OPS_DOC, renderOpsDoc } from "../scripts/ops/doc.ts";
import { ops as fuzzedOps } from "../scripts/fuzz/table.ts";
import { GRAD_CASES } from "./grad_cases.ts";
import { deno } from "./helpers/deno.ts";

/** The export an entry names: `nn.linear` is the layer's apply. */
function resolve(name: string): unknown {
  // deno-lint-ignore no-explicit-any
  const t = torch as any;
  if (name.startsWith("nn.")) return t.nn[name.slice(3)]?.apply;
  return t[name];
}

/** Fuzzed exports that are not tensor ops: readers of values, and collectives needing a process group. */
const NOT_OPS = new Set(["data", "bytes", "values", "toArray", "item", "isContiguous", "broadcast", "variance_"]);

/** Legacy checks in grad_test.ts that name an op by another name. */
const LEGACY_NAMES: Record<string, string> = { var_: "var", scaledDotProductAttention: "sdpa" };

Deno.test("registry: every entry is a function that mod.ts exports, named once", () => {
  const names = OPS.map((o) => o.name);
  assert.deepEqual(names.filter((n, i) => names.indexOf(n) !== i), [], "no name twice");
  const missing = names.filter((n) => typeof resolve(n) !== "function");
  assert.deepEqual(missing, [], "registered but not exported");
});

Deno.test("registry: every tensor op the invalid-input fuzzer calls is registered", () => {
  const registered = new Set(OPS.map((o) => o.name));
  const unregistered = Object.keys(fuzzedOps).filter((n) =>
    !registered.has(n) && !registered.has(n.replace(/\.apply$/, "")) && !NOT_OPS.has(n)
  );
  assert.deepEqual(unregistered, []);
});

Deno.test("registry: differentiable ops, and only they, have a finite-difference case", async () => {
  // The ops from before the registry are checked in grad_test.ts: one of its checks names them.
  const legacy = await Deno.readTextFile(new URL("./grad_test.ts", import.meta.url));
  const checked = (name: string) =>
    name in GRAD_CASES ||
    new RegExp(`(check\\(\\s*[\`"]|\\[")${(LEGACY_NAMES[name] ?? name).replace(".", "\\.")}\\b`).test(legacy);
  const differentiable = OPS.filter((o) => o.differentiable).map((o) => o.name);
  assert.deepEqual(differentiable.filter((n) => !checked(n)), [], "differentiable without a gradient check");
  const notDifferentiable = new Set(OPS.filter((o) => !o.differentiable).map((o) => o.name));
  assert.deepEqual(Object.keys(GRAD_CASES).filter((n) => notDifferentiable.has(n)), [], "checked but not marked");
  const unknown = Object.keys(GRAD_CASES).filter((n) => !OPS.some((o) => o.name === n));
  assert.deepEqual(unknown, [], "gradient cases of ops the registry does not know");
});

Deno.test("registry: every op added with the registry documents a one-line example", async () => {
  const { code, stdout, stderr } = await deno(["doc", "--json", "mod.ts"]);
  assert.equal(code, 0, stderr);
  const { nodes } = JSON.parse(stdout) as {
    nodes: Record<string, { symbols: { name: string; declarations: { jsDoc?: { tags?: { kind: string }[] } }[] }[] }>;
  };
  const symbols = Object.values(nodes)[0].symbols;
  const hasExample = (name: string) =>
    symbols.find((s) => s.name === name)?.declarations.some((d) => d.jsDoc?.tags?.some((t) => t.kind === "example")) ??
      false;
  const legacy = new Set(await legacyWithoutExamples());
  const lacking = OPS.filter((o) => !o.name.startsWith("nn.") && !legacy.has(o.name) && !hasExample(o.name));
  assert.deepEqual(lacking.map((o) => o.name), []);
});

/** Ops from before the registry whose docs have no @example yet (a list that may only shrink). */
function legacyWithoutExamples(): string[] {
  return (
    "rsub rdiv maximum gelu clamp where maskedFill argmax argmin logsumexp topk gather indexSelect tril triu reshape " +
    "view expand permute contiguous squeeze unsqueeze slice cat stack matmul bmm linear embedding dropout layerNorm " +
    "crossEntropy scaledDotProductAttention tensor fromBytes fullLike arange randn rand randint bernoulli cast " +
    "toDevice clone detach attentionProbs"
  ).split(" ");
}

Deno.test("registry: docs/ops.md is what `deno task ops-doc` writes", async () => {
  const current = await Deno.readTextFile(OPS_DOC);
  assert.equal(current, renderOpsDoc(), "docs/ops.md is out of date: run `deno task ops-doc`");
});

Deno.test("registry: the README states the registry's counts", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  assert.ok(readme.replace(/\s+/g, " ").includes(countsLine()), `README.md should say: ${countsLine()}`);
});
