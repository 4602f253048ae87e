/**
 * The invalid-input fuzzer (scripts/fuzz.ts) over a fixed-seed 2,000-call slice, in a subprocess so that
 * a native abort fails the test instead of killing the runner; and regressions for what it found:
 * composite ops and creators whose errors carried an inner op's name, and attentionProbs leaking its
 * intermediates.
 */
import assert from "node:assert";
import {
  attentionProbs,
  DeviceError,
  DTypeError,
  FreedTensorError,
  fullLike,
  memory,
  ones,
  onesLike,
  randn,
  rng,
  scaledDotProductAttention,
  ShapeError,
  type Tensor,
  tensor,
  toArray,
  TorchError,
  values,
  zeros,
  zerosLike,
} from "../mod.ts";
import { classify } from "../scripts/fuzz.ts";

// deno-lint-ignore no-explicit-any
type ErrorClass = new (...args: any[]) => Error;

/** Asserts that `fn` throws `kind` with a message starting `prefix:` and leaves the live-tensor count unchanged. */
function assertRejects(fn: () => unknown, kind: ErrorClass, prefix: string): void {
  const before = memory().tensors;
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof kind, `expected ${kind.name}, got ${e}`);
    assert.ok((e as Error).message.startsWith(`${prefix}:`), `message must start with "${prefix}:": ${e}`);
    return true;
  });
  assert.strictEqual(memory().tensors, before, "a failing call must leave the live-tensor count unchanged");
}

function freed(t: Tensor): Tensor {
  t.free();
  return t;
}

Deno.test("fuzz: a fixed-seed 2,000-call slice ends with 0 findings and 0 leaks", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-ffi", "--allow-env", "--allow-read", "scripts/fuzz.ts", "--seed", "1", "--calls", "2000"],
    cwd: new URL("..", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const context = `${stdout}\n${new TextDecoder().decode(out.stderr).slice(-2000)}`;
  assert.strictEqual(out.code, 0, `fuzzer exit code ${out.code} (signal ${out.signal}):\n${context}`);
  assert.match(stdout, /fuzz: seed 1, 2000 calls, \d+ succeeded/, context);
  assert.match(stdout, /^ {2}findings: 0$/m, context);
  assert.match(stdout, /^ {2}leaks: 0$/m, context);
  // The slice must exercise rejections, not only successes, or it checks little.
  assert.match(stdout, /rejected with ShapeError: [1-9]/, context);
  assert.match(stdout, /rejected with FreedTensorError: [1-9]/, context);
});

Deno.test("attentionProbs: bad operands are refused under its own name, and nothing is left behind", () => {
  const q = randn([1, 2, 3, 4], rng(0));
  const k = randn([1, 2, 3, 4], rng(1));
  const unbroadcastable = randn([3, 3, 3, 4], rng(2));
  const f64 = tensor(new Float64Array(24), [1, 2, 3, 4]);
  const shortMask = tensor([true, false], [2]);
  const gone = freed(randn([1, 2, 3, 4], rng(3)));
  const q1 = randn([1, 1, 1, 1], rng(4));
  const emptyMask = tensor([], [0], { dtype: "bool" });
  // Batch dims that do not broadcast (fuzz seed 1, call 7: once "matmul: inner dimensions ...").
  assertRejects(() => attentionProbs(q, unbroadcastable, null), ShapeError, "attentionProbs");
  // Mixed dtypes (fuzz seed 1, call 52: once a TorchError from matmul, leaking the transposed k).
  assertRejects(() => attentionProbs(q, f64, null), DTypeError, "attentionProbs");
  assertRejects(() => attentionProbs(q, k, shortMask), ShapeError, "attentionProbs");
  // A mask that broadcasts with the scores but not to them (fuzz seed 15, call 3283: once "maskedFill: ...").
  assertRejects(() => attentionProbs(q1, q1, emptyMask), ShapeError, "attentionProbs");
  assertRejects(() => attentionProbs(q, gone, null), FreedTensorError, "attentionProbs");
  for (const t of [q, k, unbroadcastable, f64, shortMask, q1, emptyMask]) t.free();
});

Deno.test("attentionProbs: a successful call outside any scope leaves only its result alive", () => {
  const q = randn([2, 3, 4], rng(0));
  const k = randn([2, 5, 4], rng(1));
  const before = memory().tensors;
  const p = attentionProbs(q, k, null);
  assert.deepStrictEqual(p.shape, [2, 3, 5]);
  // Each row of probabilities sums to 1 (by definition of softmax).
  const v = values(p);
  for (let r = 0; r < 6; r++) assert.ok(Math.abs(v.slice(r * 5, r * 5 + 5).reduce((a, b) => a + b) - 1) < 1e-6);
  assert.strictEqual(memory().tensors, before + 1, "only the result may stay alive (was: the scores too)");
  for (const t of [p, q, k]) t.free();
});

Deno.test("scaledDotProductAttention: a freed operand on the unfused path is named as its own", () => {
  const q = randn([1, 3, 4], rng(0));
  const gone = freed(randn([1, 3, 4], rng(1)));
  // fuzz seed 2, call 524: once "matmul: tensor was already freed".
  assertRejects(
    () => scaledDotProductAttention(q, q, gone, { fused: false }),
    FreedTensorError,
    "scaledDotProductAttention",
  );
  q.free();
});

Deno.test("scaledDotProductAttention: a dropout outside [0, 1) is refused under its own name", () => {
  const q = randn([1, 3, 4], rng(0));
  const key = rng(1);
  // fuzz seed 14, call 943: once "RangeError: dropout: p must be in [0, 1), got Infinity"; NaN was taken as no dropout.
  for (const p of [Infinity, 1, -0.5, NaN]) {
    assertRejects(
      () => scaledDotProductAttention(q, q, q, { dropout: p, key }),
      RangeError,
      "scaledDotProductAttention",
    );
  }
  q.free();
});

Deno.test("creators and readers name themselves in their errors (not full/data)", () => {
  assertRejects(() => zeros([2, -1]), ShapeError, "zeros");
  assertRejects(() => ones([3, NaN]), ShapeError, "ones");
  const x = randn([2], rng(0));
  assertRejects(() => fullLike(x, 1, { device: "cuda:7" }), DeviceError, "fullLike");
  assertRejects(() => zerosLike(x, { device: "cuda:7" }), DeviceError, "zerosLike");
  const gone = freed(randn([2], rng(1)));
  assertRejects(() => onesLike(gone), FreedTensorError, "onesLike");
  assertRejects(() => toArray(gone), FreedTensorError, "toArray");
  assertRejects(() => values(gone), FreedTensorError, "values");
  assert.ok(new ShapeError("zeros", "x") instanceof TorchError);
  x.free();
});

Deno.test("fuzz: a rejection counts only as a named error class whose message starts with the op's name", () => {
  // The fuzzer's own judge, so that a slice with 0 findings means what it says.
  assert.strictEqual(classify(new ShapeError("add", "x"), ["add"]), "ShapeError");
  assert.strictEqual(classify(new RangeError("slice: start NaN"), ["slice"]), "RangeError");
  assert.strictEqual(classify(new Error("add: x"), ["add"]), null, "a plain Error is a finding");
  assert.strictEqual(
    classify(new ShapeError("matmul", "x"), ["attentionProbs"]),
    null,
    "another op's name is a finding",
  );
  assert.strictEqual(
    classify(new TypeError("Cannot read properties of undefined"), ["add"]),
    null,
    "an unnamed message",
  );
  assert.strictEqual(classify("add: a string", ["add"]), null, "a thrown non-Error");
});
