/**
 * A one-rank data-parallel group for tests/robustness_native_test.ts, in its own process so that a
 * native crash shows as an exit code instead of killing the test runner. Joins a world of size 1 on
 * MASTER_PORT and runs one scenario, printing its result as JSON.
 */
import { allReduceSum, broadcast, destroyDistributed, initDistributed, valueAndGradAllReduced } from "../lib/dist.ts";
import { sum, type Tensor, tensor, values } from "../mod.ts";
import { leakAtAnyFailure } from "./helpers/fault.ts";

initDistributed({ masterAddr: "127.0.0.1", masterPort: Number(Deno.env.get("MASTER_PORT")), rank: 0, worldSize: 1 });
const scenario = Deno.args[0];
if (scenario === "leaf-loss") {
  // The loss is the parameter itself: d w / d w = 1.
  const { value, grads } = valueAndGradAllReduced((p: { w: Tensor }) => p.w)({ w: tensor([2.5], []) });
  console.log(JSON.stringify({ value: values(value), w: values(grads.w) }));
} else if (scenario === "leaks") {
  const a = tensor([1, 2], [2]), b = tensor([3], [1]);
  const gradOf = valueAndGradAllReduced((p: { a: Tensor; b: Tensor }) => sum(p.a)); // b unused: zeros
  console.log(JSON.stringify({
    allReduceSum: leakAtAnyFailure(() => allReduceSum({ a, b })),
    broadcast: leakAtAnyFailure(() => broadcast({ a, b })),
    valueAndGradAllReduced: leakAtAnyFailure(() => gradOf({ a, b })),
  }));
}
destroyDistributed();
