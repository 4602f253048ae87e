/**
 * `deno task translate`. The tensor foundation (mod.ts) is in place; the translate command itself arrives with
 * issue #6 (the Transformer comes with issue #3). Until then this says so instead of failing obscurely.
 */
import { threads, torchVersion } from "../mod.ts";

console.log(
  `deno task translate: not yet available (planned in issue #6). libtorch ${torchVersion()} loaded, ${threads()} threads; ` +
    "the tensor library in mod.ts is ready to use.",
);
Deno.exit(2);
