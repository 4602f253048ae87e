/**
 * Where the DSL's per-op time goes. Two kinds of rows:
 *  - pieces alone: FFI marshalling and each JS step of an op, timed without native work;
 *  - ablations in context: the raw `dt_add` + `dt_free` (or `dt_full`, `dt_reshape`) loop with one
 *    more piece of the DSL's work added per row, paired against the bare raw loop, so "DSL added"
 *    is what that piece really costs next to the native call (allocation and GC effects included).
 * Steps the library keeps private (metadata → Tensor, the GC safety net) run as faithful copies of
 * the code in lib/tensor.ts and lib/scope.ts; the rest call the library's own functions.
 */
import { sym } from "../../ffi/lib.ts";
import { deviceName } from "../../lib/device.ts";
import { dtypeFromCode } from "../../lib/dtype.ts";
import { broadcastShapes, sameDevice } from "../../lib/ops/check.ts";
import { adopt, scope } from "../../lib/scope.ts";
import { handleOf, Tensor } from "../../lib/tensor.ts";
import { sizesArg } from "../../lib/scratch.ts";
import { add, full, reshape } from "../../mod.ts";
import type { BenchGroup, RowResult, Verdict } from "./types.ts";
import { formatNs } from "./report.ts";

/** Results land here so the JIT cannot drop the work as dead code. */
export let sink: unknown = null;

const PER_SCOPE = 100;
const META_HEADER = 5;

export const overheadGroup: BenchGroup = {
  name: "overhead",
  title: "DSL overhead breakdown (pieces alone, then added one by one to the raw 16×16 add)",
  description: "FFI marshalling, checks, Tensor construction, scope/GC-net registration, typed-array args",

  setup() {
    const a = full([16, 16], 1);
    const b = full([16, 16], 2);
    const [ha, hb] = [a.handle!, b.handle!];
    const shape = [16, 16] as const;
    const flatShape = [256] as const;
    const sizes = new Float64Array(shape);
    const flatSizes = new Float64Array(flatShape);
    const meta = new Float64Array(Deno.UnsafePointerView.getArrayBuffer(sym.dt_meta()!, sym.dt_meta_capacity() * 8));
    // A private copy of the GC safety net in lib/scope.ts (register with the tensor as unregister token).
    const net = new FinalizationRegistry<Deno.PointerObject>((p) => sym.dt_free(p));
    const pending: Deno.PointerValue[] = [];

    // Copy of fromMeta() in lib/tensor.ts, minus adopt().
    const fromMeta = (p: Deno.PointerObject): Tensor => {
      const rank = meta[3];
      const dims = new Array<number>(rank);
      for (let i = 0; i < rank; i++) dims[i] = meta[META_HEADER + i];
      return new Tensor(p, dims, dtypeFromCode(meta[0]), deviceName(meta[1], meta[2]), meta[4] === 1);
    };
    const rawAdd = (n: number) => {
      for (let i = 0; i < n; i++) sym.dt_free(sym.dt_add(ha, hb));
    };
    const rawFull = (n: number) => {
      for (let i = 0; i < n; i++) sym.dt_free(sym.dt_full(sizes, 2, 0, 0, 0, 0));
    };

    return {
      dispose() {
        a.free();
        b.free();
      },
      rows: [
        // ---- pieces alone ----
        {
          id: "ffi_void",
          label: "FFI: () → i32 (dt_get_threads)",
          ours: (n) => {
            let s = 0;
            for (let i = 0; i < n; i++) s += sym.dt_get_threads();
            sink = s;
          },
        },
        {
          id: "ffi_ptr_arg",
          label: "FFI: pointer → i32 (dt_is_contiguous)",
          ours: (n) => {
            let s = 0;
            for (let i = 0; i < n; i++) s += sym.dt_is_contiguous(ha);
            sink = s;
          },
        },
        {
          id: "ffi_ptr_result",
          label: "FFI: () → pointer (dt_meta)",
          ours: (n) => {
            for (let i = 0; i < n; i++) sink = sym.dt_meta();
          },
        },
        {
          id: "ffi_describe",
          label: "FFI: dt_describe (metadata write)",
          ours: (n) => {
            let s = 0;
            for (let i = 0; i < n; i++) s += sym.dt_describe(ha);
            sink = s;
          },
        },
        {
          id: "h",
          label: "handleOf(): live-handle check ×2",
          ours: (n) => {
            for (let i = 0; i < n; i++) {
              sink = handleOf(a, "add");
              sink = handleOf(b, "add");
            }
          },
        },
        {
          id: "broadcast",
          label: "broadcastShapes 16×16, 16×16",
          ours: (n) => {
            for (let i = 0; i < n; i++) sink = broadcastShapes(a.shape, b.shape, "add");
          },
        },
        {
          id: "same_device",
          label: "sameDevice",
          ours: (n) => {
            for (let i = 0; i < n; i++) sameDevice(a, b, "add");
          },
        },
        {
          id: "sizes_buffer",
          label: "sizesArg([16, 16]) (shared buffer)",
          ours: (n) => {
            for (let i = 0; i < n; i++) sink = sizesArg(shape, "zeros");
          },
        },
        {
          id: "from_meta",
          label: "metadata → Tensor (shape array + object)",
          ours: (n) => {
            sym.dt_describe(ha);
            for (let i = 0; i < n; i++) sink = fromMeta(ha);
          },
        },
        {
          id: "new_tensor",
          label: "new Tensor (shape array reused)",
          ours: (n) => {
            for (let i = 0; i < n; i++) sink = new Tensor(ha, shape, "f32", "cpu", false);
          },
        },
        {
          id: "net",
          label: "new Tensor + GC net register/unregister",
          ours: (n) => {
            for (let i = 0; i < n; i++) {
              const t = new Tensor(ha, shape, "f32", "cpu", false);
              net.register(t, ha, t);
              net.unregister(t);
            }
          },
        },
        {
          id: "scope_adopt",
          label: `new Tensor + adopt in a scope of ${PER_SCOPE} + close`,
          ours: (n) => {
            for (let i = 0; i < n; i += PER_SCOPE) {
              const m = Math.min(PER_SCOPE, n - i);
              scope(() => {
                for (let j = 0; j < m; j++) {
                  const t = new Tensor(ha, shape, "f32", "cpu", false);
                  adopt(t);
                  t.handle = null; // the handle is a's: closing the scope must not free it
                }
              });
            }
          },
        },
        {
          id: "scope_empty",
          label: "scope(() => null) (per scope, not per op)",
          ours: (n) => {
            for (let i = 0; i < n; i++) sink = scope(() => null);
          },
        },
        // ---- in context: raw add + free, plus one piece per row ----
        {
          id: "ctx_meta",
          label: "raw add + metadata → Tensor",
          native: rawAdd,
          ours: (n) => {
            for (let i = 0; i < n; i++) {
              const t = fromMeta(sym.dt_add(ha, hb)!);
              sym.dt_free(t.handle);
              t.handle = null;
            }
          },
        },
        {
          id: "ctx_checks",
          label: "… + handleOf, broadcastShapes, sameDevice",
          native: rawAdd,
          ours: (n) => {
            for (let i = 0; i < n; i++) {
              broadcastShapes(a.shape, b.shape, "add");
              sameDevice(a, b, "add");
              const t = fromMeta(sym.dt_add(handleOf(a, "add"), handleOf(b, "add"))!);
              sym.dt_free(t.handle);
              t.handle = null;
            }
          },
        },
        {
          id: "ctx_net",
          label: "… + GC net register/unregister",
          native: rawAdd,
          ours: (n) => {
            for (let i = 0; i < n; i++) {
              broadcastShapes(a.shape, b.shape, "add");
              sameDevice(a, b, "add");
              const p = sym.dt_add(handleOf(a, "add"), handleOf(b, "add"))!;
              const t = fromMeta(p);
              net.register(t, p, t);
              net.unregister(t);
              sym.dt_free(p);
              t.handle = null;
            }
          },
        },
        {
          id: "ctx_dsl_free",
          label: "add(a, b).free() (the DSL)",
          native: rawAdd,
          ours: (n) => {
            for (let i = 0; i < n; i++) add(a, b).free();
          },
        },
        {
          id: "ctx_raw_batched",
          label: `raw add, frees batched by ${PER_SCOPE}`,
          native: rawAdd,
          ours: (n) => {
            for (let i = 0; i < n; i += PER_SCOPE) {
              const m = Math.min(PER_SCOPE, n - i);
              for (let j = 0; j < m; j++) pending.push(sym.dt_add(ha, hb));
              for (const p of pending) sym.dt_free(p);
              pending.length = 0;
            }
          },
        },
        {
          id: "ctx_dsl_scope",
          label: `add(a, b) in a scope of ${PER_SCOPE} (the DSL)`,
          native: rawAdd,
          ours: (n) => {
            for (let i = 0; i < n; i += PER_SCOPE) {
              const m = Math.min(PER_SCOPE, n - i);
              scope(() => {
                for (let j = 0; j < m; j++) add(a, b);
              });
            }
          },
        },
        {
          id: "ctx_fresh_sizes",
          label: "raw full 16×16, fresh sizes Float64Array",
          native: rawFull,
          ours: (n) => {
            for (let i = 0; i < n; i++) sym.dt_free(sym.dt_full(new Float64Array(shape), 2, 0, 0, 0, 0));
          },
        },
        {
          id: "ctx_fresh_view",
          label: "raw full 16×16, fresh view on a reused ArrayBuffer",
          native: rawFull,
          ours: (n) => {
            for (let i = 0; i < n; i++) sym.dt_free(sym.dt_full(new Float64Array(sizes.buffer), 2, 0, 0, 0, 0));
          },
        },
        {
          id: "ctx_reshape",
          label: "reshape 16×16 → 256 + free (vs raw, sizes reused)",
          native: (n) => {
            for (let i = 0; i < n; i++) sym.dt_free(sym.dt_reshape(ha, flatSizes, 1));
          },
          ours: (n) => {
            for (let i = 0; i < n; i++) reshape(a, flatShape).free();
          },
        },
      ],
    };
  },

  verdicts(rows: RowResult[]): Verdict[] {
    const alone = (id: string) => rows.find((r) => r.id === id)?.ours.median ?? NaN;
    const added = (id: string) => rows.find((r) => r.id === id)?.added ?? NaN;
    const step = (id: string, prev: string) => added(id) - added(prev);
    const parts = [
      `metadata→Tensor ${formatNs(added("ctx_meta"))}`,
      `checks ${formatNs(step("ctx_checks", "ctx_meta"))}`,
      `GC net ${formatNs(step("ctx_net", "ctx_checks"))} (alone ${formatNs(alone("net") - alone("new_tensor"))})`,
    ];
    return [
      {
        target: "where add(a, b).free() spends its added time",
        status: "INFO",
        detail: `${formatNs(added("ctx_dsl_free"))} in all ≈ ${parts.join(" + ")}`,
      },
      {
        target: "a fresh typed array per call (sizes/dims buffers)",
        status: "INFO",
        detail: `${formatNs(added("ctx_fresh_sizes"))} per op next to dt_full (allocation alone ${
          formatNs(alone("sizes_buffer"))
        }, a fresh view on a reused buffer ${formatNs(added("ctx_fresh_view"))}); reshape pays ${
          formatNs(added("ctx_reshape"))
        } over raw`,
      },
    ];
  },
};
