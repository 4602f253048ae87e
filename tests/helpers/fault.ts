/**
 * Fault injection for the error paths of native calls: the shim can be told to fail the n-th tensor
 * description from now (dt_fail_describe_after), which is where an op's result becomes a handle, so
 * a call can be made to fail after any number of its outputs were handed out.
 */
import { sym } from "../../ffi/lib.ts";
import { memory, scope, TorchError } from "../../mod.ts";

/** What `leakAtAnyFailure` found. */
export interface FailurePoints {
  /** How many failure points the call has (descriptions before it succeeds). */
  points: number;
  /** The failure points after which the live count had changed, as "n: before → after". */
  leaks: string[];
}

/**
 * Makes `call` fail at its 1st, 2nd, ... tensor description in turn, until it succeeds, and checks
 * after each failure (inside the scope the call ran in, so tensors it left registered count) that
 * the live-tensor count is what it was before the call. `call` must make its inputs beforehand.
 */
export function leakAtAnyFailure(call: () => unknown): FailurePoints {
  const leaks: string[] = [];
  for (let n = 1;; n++) {
    const failed = scope(() => {
      const before = memory().tensors;
      sym.dt_fail_describe_after(n);
      try {
        call();
        return false;
      } catch (e) {
        if (!(e instanceof TorchError) || !e.message.includes("injected failure")) throw e;
        const after = memory().tensors;
        if (after !== before) leaks.push(`${n}: ${before} → ${after}`);
        return true;
      } finally {
        sym.dt_fail_describe_after(0);
      }
    });
    if (!failed) return { points: n - 1, leaks };
  }
}
