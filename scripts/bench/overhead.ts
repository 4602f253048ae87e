/**
 * Where the DSL's per-op time goes. Two kinds of rows:
 *  - pieces alone: FFI marshalling and each JS step of an op, timed without native work;
 *  - ablations in context: the raw `dt_add` + `dt_free` (or `dt_full`, `dt_reshape`) loop with one
 *    more piece of the DSL's work added per row, paired against the bare raw loop, so "DSL added"
 *    is what that piece really costs next to the native call (allocation and GC effects included).
 * Every piece is the library's own code (the `Tensor` constructor, `wrap`, `adopt`, `release`, the
 * checks), never a copy, so the breakdown follows the library as it changes. The live-handle check
 * the ops run first (`handleOf`) is counted with the checks (the DSL's op less `wrap`).
 */
import { sym } from "../../ffi/lib.ts";
import { broadcastShapes, sameDevice } from "../../lib/ops/check.ts";
import { adopt } from "../../lib/scope.ts";
import { wrap } from "../../lib/tensor.ts";
import { sizesArg } from "../../lib/scratch.ts";
import { full, reshape, scope, Tensor } from "../../mod.ts";
import type { BenchGroup, RowResult, Verdict } from "./types.ts";
import { formatNs } from "./report.ts";
import { addFreed, addInScopes, inBatches, PER_SCOPE, rawAddBatched, rawAddFreed } from "./workloads.ts";

/** Results land here so the JIT cannot drop the work as dead code. */
export let sink: unknown = null;

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
    const rawAdd = rawAddFreed(a, b);
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
          id: "new_tensor",
          label: "new Tensor (shape array reused)",
          ours: (n) => {
            for (let i = 0; i < n; i++) sink = new Tensor(ha, shape, "f32", "cpu", false);
          },
        },
        {
          id: "scope_adopt",
          label: `new Tensor + adopt in a scope of ${PER_SCOPE} + close`,
          ours: (n) =>
            inBatches(n, (m) =>
              scope(() => {
                for (let j = 0; j < m; j++) {
                  const t = new Tensor(ha, shape, "f32", "cpu", false);
                  adopt(t);
                  t.handle = null; // the handle is a's: closing the scope must not free it
                }
              })),
        },
        {
          id: "wrap_scope",
          label: `wrap() (metadata → Tensor + adopt) in a scope of ${PER_SCOPE} + close`,
          ours: (n) => {
            sym.dt_describe(ha); // the metadata wrap() reads, as an op leaves it
            inBatches(n, (m) =>
              scope(() => {
                for (let j = 0; j < m; j++) wrap(ha, "add").handle = null; // a's handle: not to be freed
              }));
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
          id: "ctx_tensor",
          label: "raw add + new Tensor",
          native: rawAdd,
          ours: (n) => {
            for (let i = 0; i < n; i++) {
              const t = new Tensor(sym.dt_add(ha, hb)!, shape, "f32", "cpu", false);
              sym.dt_free(t.handle);
              t.handle = null;
            }
          },
        },
        {
          id: "ctx_adopt",
          label: "… + adopt (no scope open: the GC net) + free()",
          native: rawAdd,
          ours: (n) => {
            for (let i = 0; i < n; i++) {
              const t = new Tensor(sym.dt_add(ha, hb)!, shape, "f32", "cpu", false);
              adopt(t);
              t.free();
            }
          },
        },
        {
          id: "ctx_wrap",
          label: "raw add + wrap() (metadata → Tensor + adopt) + free()",
          native: rawAdd,
          ours: (n) => {
            for (let i = 0; i < n; i++) wrap(sym.dt_add(ha, hb), "add").free();
          },
        },
        {
          id: "ctx_dsl_free",
          label: "add(a, b).free() (the DSL: + handle and shape checks)",
          native: rawAdd,
          ours: addFreed(a, b),
        },
        {
          id: "ctx_raw_batched",
          label: `raw add, frees batched by ${PER_SCOPE}`,
          native: rawAdd,
          ours: rawAddBatched(a, b),
        },
        {
          id: "ctx_dsl_scope",
          label: `add(a, b) in a scope of ${PER_SCOPE} (the DSL)`,
          native: rawAdd,
          ours: addInScopes(a, b),
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
      `Tensor object ${formatNs(added("ctx_tensor"))}`,
      `GC net ${formatNs(step("ctx_adopt", "ctx_tensor"))}`,
      `metadata read ${formatNs(step("ctx_wrap", "ctx_adopt"))} (alone ${
        formatNs(alone("wrap_scope") - alone("scope_adopt"))
      })`,
      `checks ${formatNs(step("ctx_dsl_free", "ctx_wrap"))}`,
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
