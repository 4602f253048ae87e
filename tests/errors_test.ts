/** Bad input: each case is a JS exception with a clear message, and the process keeps working. */
import assert from "node:assert/strict";
import {
  add,
  cast,
  crossEntropy,
  cudaAvailable,
  DeviceError,
  DTypeError,
  embedding,
  FreedTensorError,
  gather,
  indexSelect,
  item,
  matmul,
  memory,
  ones,
  reshape,
  rng,
  scope,
  ShapeError,
  softmax,
  sum,
  type Tensor,
  tensor,
  TorchError,
  transpose,
  values,
  zeros,
} from "../mod.ts";

/** Asserts `fn` throws an instance of `kind` whose message matches `pattern`, then that torch still works. */
function rejects(fn: () => unknown, kind: new (...a: never[]) => Error, pattern: RegExp): void {
  const before = memory().tensors;
  scope(() => {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof kind, `expected ${kind.name}, got ${(e as Error)?.name}: ${(e as Error)?.message}`);
      assert.match((e as Error).message, pattern);
      return true;
    });
  });
  assert.equal(memory().tensors, before, "the failed call leaked no tensor");
  // still working afterwards
  scope(() => assert.deepEqual(values(add(ones([2]), 1)), [2, 2]));
}

const loose = (t: Tensor) => t as Tensor<number[]>;

Deno.test("errors: wrong shapes name both shapes", () => {
  rejects(
    () => matmul(loose(zeros([2, 3])), loose(zeros([4, 5]))),
    ShapeError,
    /inner dimensions 3 and 4 differ \(\[2, 3\] @ \[4, 5\]\)/,
  );
  rejects(() => add(loose(zeros([2, 3])), loose(zeros([4]))), ShapeError, /cannot broadcast \[2, 3\] with \[4\]/);
  rejects(() => reshape(zeros([2, 3]), [4, 2]), ShapeError, /cannot reshape \[2, 3\] \(6 elements\) into \[4, 2\]/);
  rejects(
    () => transpose(zeros([2, 3]), 0, 2),
    ShapeError,
    /dimension 2 is out of range for a tensor of shape \[2, 3\]/,
  );
  rejects(() => softmax(zeros([2, 3]), -3), ShapeError, /dimension -3 is out of range/);
  rejects(() => tensor([1, 2, 3], [2, 2]), ShapeError, /shape \[2, 2\] holds 4 elements but the data has 3/);
  rejects(() => tensor([[1, 2], [3]]), ShapeError, /ragged/);
  rejects(() => zeros([2, -1]), ShapeError, /non-negative integers/);
  rejects(
    () => crossEntropy(loose(zeros([3, 5])) as Tensor<[3, 5]>, loose(zeros([4], { dtype: "i64" })) as Tensor<[3]>),
    ShapeError,
    /logits \[n, classes\] and target \[n\], got \[3, 5\] and \[4\]/,
  );
});

Deno.test("errors: wrong dtypes", () => {
  rejects(() => embedding(zeros([4, 2]), zeros([3])), DTypeError, /ids must be i64 or i32, got f32/);
  rejects(() => crossEntropy(zeros([2, 3]), zeros([2])), DTypeError, /target must hold i64 class indices, got f32/);
  rejects(() => softmax(zeros([2], { dtype: "i64" }), 0), DTypeError, /floating-point/);
  rejects(() => tensor([1.5], [1], { dtype: "i64" }), DTypeError, /i64 data must be \(safe\) integers, got 1.5/);
  rejects(() => tensor([3e9], [1], { dtype: "i32" }), DTypeError, /does not fit in i32/);
  rejects(() => tensor([1], [1], { dtype: "f8" as "f32" }), DTypeError, /unknown dtype "f8"/);
  // libtorch's own dtype check comes through as a TorchError with its message
  rejects(() => matmul(zeros([2, 2]), zeros([2, 2], { dtype: "f64" })), TorchError, /expected .*(Float|Double)|dtype/i);
});

Deno.test("errors: NaN in data", () => {
  rejects(() => tensor([1, NaN], [2], { dtype: "i64" }), DTypeError, /integers, got NaN at index 1/);
  rejects(() => tensor([NaN], [1], { dtype: "bool" }), DTypeError, /bool data must be true\/false or 0\/1, got NaN/);
  rejects(() => tensor(["a" as unknown as number], [1]), DTypeError, /numbers, got string at index 0/);
  // NaN is a legitimate float value and round-trips
  scope(() => assert.ok(Number.isNaN(values(tensor([NaN]))[0])));
});

Deno.test("errors: out-of-range indices", () => {
  const table = () => zeros([4, 2]);
  rejects(
    () => embedding(table(), tensor([0, 4], [2], { dtype: "i64" })),
    TorchError,
    /embedding: index out of range: got values in \[0, 4\] for a dimension of size 4/,
  );
  rejects(() => embedding(table(), tensor([-1], [1], { dtype: "i64" })), TorchError, /index out of range/);
  rejects(() => indexSelect(table(), 0, tensor([7], [1], { dtype: "i64" }) as Tensor<[1]>), TorchError, /index/i);
  rejects(() => gather(table(), 1, tensor([[5]], [1, 1], { dtype: "i64" })), TorchError, /index/i);
  rejects(
    () => crossEntropy(zeros([2, 3]), tensor([0, 9], [2], { dtype: "i64" })),
    TorchError,
    /out of bounds|target/i,
  );
});

Deno.test("errors: use after free", () => {
  const t = ones([2]);
  t.free();
  rejects(() => add(t, 1), FreedTensorError, /add: tensor was already freed/);
  rejects(() => item(t), FreedTensorError, /item: tensor was already freed/);
  const escaped = scope(() => {
    const inner = ones([1]);
    return { inner: sum(inner), leaked: [] as Tensor[] };
  });
  assert.equal(item(escaped.inner), 1);
  let temp: Tensor | undefined;
  scope(() => {
    temp = ones([3]);
  });
  rejects(() => cast(temp!, "f64"), FreedTensorError, /cast: tensor was already freed.*return it from its scope/);
  escaped.inner.free();
});

Deno.test("errors: unknown devices and CUDA on a CPU build", () => {
  rejects(() => zeros([2], { device: "tpu" as "cpu" }), DeviceError, /unknown device "tpu"/);
  if (!cudaAvailable()) {
    rejects(
      () => zeros([2], { device: "cuda" }),
      DeviceError,
      /CUDA was requested \(cuda\) but the loaded libtorch has no CUDA/,
    );
    rejects(() => ones([2], { device: "cuda:1" }), DeviceError, /CUDA was requested/);
  }
});

Deno.test("errors: bad arguments to random and utility functions", () => {
  assert.throws(() => rng(-1), /seed must be an integer/);
  assert.throws(() => rng(1.5), /seed must be an integer/);
  rejects(() => item(zeros([2])), TorchError, /item\(\) needs a tensor with exactly one element, got 2/);
});
