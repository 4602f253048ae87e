/**
 * The default device, and the CUDA behaviours that must hold on a GPU: tensors created without a
 * device go to the default one, an unknown or absent device is a named error that changes nothing,
 * mixing devices is a named error, and an index out of range on CUDA is an error the process and its
 * CUDA context survive. The CUDA cases run where a GPU is (scripts/gpu_check.sh) and say so here.
 */
import assert from "node:assert/strict";
import {
  add,
  arange,
  cudaAvailable,
  defaultDevice,
  DeviceError,
  free,
  indexSelect,
  randn,
  rng,
  scope,
  setDefaultDevice,
  tensor,
  toDevice,
  TorchError,
  values,
  zeros,
} from "../mod.ts";
import { noLeaks } from "./ops_helpers.ts";

const CUDA = cudaAvailable();
const onCuda = CUDA ? "" : " (CUDA cases skipped: no GPU here)";

Deno.test("the default device: cpu unless set, refusals leave it as it was", () => {
  assert.equal(defaultDevice(), "cpu");
  assert.throws(
    () => setDefaultDevice("tpu" as never),
    (e: unknown) => e instanceof DeviceError && /unknown device "tpu"/.test((e as Error).message),
  );
  assert.equal(defaultDevice(), "cpu", "an unknown device leaves the default");
  if (!CUDA) {
    assert.throws(() => setDefaultDevice("cuda"), /CUDA was requested \(cuda\)/);
    assert.equal(defaultDevice(), "cpu", "an absent device leaves the default");
  }
  assert.equal(setDefaultDevice("cpu"), "cpu", "returns the previous default");
  scope(() => assert.equal(zeros([2]).device, "cpu"));
});

Deno.test({
  name: `tensors created without a device go to the default one${onCuda}`,
  ignore: !CUDA,
  fn: noLeaks(() => {
    const previous = setDefaultDevice("cuda");
    try {
      assert.equal(defaultDevice(), "cuda:0");
      for (const t of [zeros([2, 3]), tensor([1, 2, 3]), randn([4], rng(0)), arange(5)]) {
        assert.equal(t.device, "cuda:0");
      }
      assert.equal(zeros([2], { device: "cpu" }).device, "cpu", "a device named in the options wins");
      assert.deepEqual(Array.from(values(tensor([1, 2, 3]))), [1, 2, 3], "values come back from the GPU");
    } finally {
      setDefaultDevice(previous);
    }
  }),
});

Deno.test({
  name: `CUDA: mixing devices is a named error, and an index out of range leaves the CUDA context usable${onCuda}`,
  ignore: !CUDA,
  fn: noLeaks(() => {
    const gpu = toDevice(tensor([1, 2, 3, 4]), "cuda");
    const cpu = tensor([1, 2, 3, 4]);
    assert.throws(
      () => add(gpu, cpu),
      (e: unknown) => e instanceof TorchError && /cuda:0|cpu/i.test((e as Error).message),
    );
    assert.throws(
      () => indexSelect(gpu, 0, toDevice(tensor([0, 7], [2], { dtype: "i64" }), "cuda")),
      (e: unknown) => e instanceof TorchError && /index out of range/.test((e as Error).message),
    );
    // The context survives: the next kernel runs and its result reads back.
    const sum = add(gpu, gpu);
    assert.deepEqual(Array.from(values(sum)), [2, 4, 6, 8]);
    free([sum]);
  }),
});
