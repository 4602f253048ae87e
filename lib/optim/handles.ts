/** Passing lists of tensors to native calls and wrapping the handles they return. */
import { h, type Tensor, wrapDescribed } from "../tensor.ts";

/** The handles of `xs` as a u64 buffer (the native side reads `T**`). */
export function handleList(xs: readonly Tensor[], op: string): BigUint64Array {
  const out = new BigUint64Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = BigInt(Deno.UnsafePointer.value(h(xs[i], op)));
  return out;
}

/** Tensors for the handles a native call wrote into `slots`. */
export function wrapAll(slots: BigUint64Array, op: string): Tensor[] {
  return Array.from(slots, (p) => wrapDescribed(Deno.UnsafePointer.create(p)!, op));
}
