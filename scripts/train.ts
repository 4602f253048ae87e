/**
 * `deno task train`. The tensor foundation (mod.ts) is in place; the train command itself arrives with
 * issue #5 (the Transformer comes with issue #3). Until then this says so instead of failing obscurely.
 */
import { threads, torchVersion } from "../mod.ts";

console.log(
  `deno task train: not yet available (planned in issue #5). libtorch ${torchVersion()} loaded, ${threads()} threads; ` +
    "the tensor library in mod.ts is ready to use.",
);
Deno.exit(0);
