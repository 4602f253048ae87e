/** A rank of tests/dist_test.ts: joins the group from torchrun's variables and runs one scenario. */
import {
  allReduceMean,
  barrier,
  broadcast,
  destroyDistributed,
  distributedConfigFromEnv,
  initDistributed,
  rank,
  worldSize,
} from "../src/dist.ts";
import { tensor, values } from "../mod.ts";

const config = distributedConfigFromEnv()!;
initDistributed({ ...config, timeoutMs: Number(Deno.env.get("DIST_TIMEOUT_MS") ?? "20000") });
const scenario = Deno.args[0];
if (scenario === "collectives") {
  const r = rank();
  // Each rank holds different values; the mean and rank 0's values are known by hand.
  const grads = { a: tensor([r + 1, 10 * (r + 1)]), b: [tensor([[r, -r], [2 * r, 0.5]])] };
  const mean = allReduceMean(grads);
  const fromRoot = broadcast({ p: tensor([100 + r, 200 + r, 300 + r]) });
  barrier();
  console.log(
    JSON.stringify({ rank: r, size: worldSize(), a: values(mean.a), b: values(mean.b[0]), p: values(fromRoot.p) }),
  );
  destroyDistributed();
} else if (scenario === "die") {
  // Rank 1 leaves without joining the collective; the others must fail after the timeout, not hang.
  if (rank() === 1) Deno.exit(0);
  try {
    allReduceMean({ a: tensor([1]) });
    console.log("no error");
  } catch (e) {
    console.log(JSON.stringify({ error: (e as Error).message }));
  }
}
