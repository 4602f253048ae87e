/**
 * The FFI layer: what one call costs, what the DSL adds per op on top of the raw symbols, and how
 * both compare with PyTorch eager from Python on the same libtorch.
 * Targets: < 0.5 µs added per op over native; 512×512 matmul within 5% of PyTorch.
 */
import { sym } from "../../ffi/lib.ts";
import { full, matmul, neg, randn, rng, tensor, threads, zeros } from "../../mod.ts";
import type { BenchGroup, RowResult, Verdict } from "./types.ts";
import { formatNs, signed } from "./report.ts";
import { addFreed, addInScopes, PER_SCOPE, rawAddBatched, rawAddFreed } from "./workloads.ts";

/** Added ns per op the DSL may cost over the raw symbols. */
export const OVERHEAD_TARGET_NS = 500;
/** Largest ours/PyTorch time ratio for the 512×512 matmul. */
export const MATMUL_TARGET_RATIO = 1.05;

export const ffiGroup: BenchGroup = {
  name: "ffi",
  title: "FFI layer: per-call overhead and small ops",
  description: "trivial FFI call, 0-dim neg, 16×16 add (freed each / in a scope), create+free, 512×512 matmul",

  setup() {
    const a = full([16, 16], 1);
    const b = full([16, 16], 2);
    const z = full([], 1.5);
    const x = randn([512, 512], rng(0));
    const y = randn([512, 512], rng(1));
    const data = new Float32Array(256).map((_, i) => i / 256);
    const sizes = new Float64Array([16, 16]);
    const [hz, hx, hy] = [z, x, y].map((t) => t.handle!);

    return {
      dispose() {
        for (const t of [a, b, z, x, y]) t.free();
      },
      rows: [
        {
          id: "call",
          label: "FFI call, no args (threads())",
          ours: (n) => {
            for (let i = 0; i < n; i++) threads();
          },
          native: (n) => {
            for (let i = 0; i < n; i++) sym.dt_get_threads();
          },
          torch: "call",
        },
        {
          id: "neg0",
          label: "neg, 0-dim, free each",
          ours: (n) => {
            for (let i = 0; i < n; i++) neg(z).free();
          },
          native: (n) => {
            for (let i = 0; i < n; i++) sym.dt_free(sym.dt_neg(hz));
          },
          torch: "neg0",
          overhead: true,
        },
        {
          id: "add16",
          label: "add 16×16, free each",
          ours: addFreed(a, b),
          native: rawAddFreed(a, b),
          torch: "add16",
          overhead: true,
        },
        {
          id: "add16_scope",
          label: `add 16×16, scope of ${PER_SCOPE}`,
          ours: addInScopes(a, b),
          native: rawAddBatched(a, b),
          torch: "add16",
          overhead: true,
        },
        {
          id: "zeros16",
          label: "zeros 16×16 + free",
          ours: (n) => {
            for (let i = 0; i < n; i++) zeros([16, 16]).free();
          },
          native: (n) => {
            for (let i = 0; i < n; i++) sym.dt_free(sym.dt_full(sizes, 2, 0, 0, 0, 0));
          },
          torch: "zeros16",
          overhead: true,
        },
        {
          id: "from16",
          label: "tensor(Float32Array) 16×16 + free",
          ours: (n) => {
            for (let i = 0; i < n; i++) tensor(data, [16, 16]).free();
          },
          native: (n) => {
            for (let i = 0; i < n; i++) sym.dt_free(sym.dt_from_data(data, 0, sizes, 2, 0, 0, 0));
          },
          torch: "from16",
          overhead: true,
        },
        {
          id: "matmul512",
          label: "matmul 512×512 f32",
          ours: (n) => {
            for (let i = 0; i < n; i++) matmul(x, y).free();
          },
          native: (n) => {
            for (let i = 0; i < n; i++) sym.dt_free(sym.dt_matmul(hx, hy));
          },
          torch: "matmul512",
        },
      ],
    };
  },

  verdicts(rows: RowResult[], ctx): Verdict[] {
    const out: Verdict[] = [];
    const small = rows.filter((r) => r.overhead && r.added !== undefined);
    if (small.length > 0) {
      const worst = small.reduce((w, r) => (r.added! > w.added! ? r : w));
      const list = small.map((r) => `${r.id} ${signed(r.added!)}`).join(", ");
      out.push({
        target: `DSL adds < ${formatNs(OVERHEAD_TARGET_NS)} per op over native`,
        status: worst.added! < OVERHEAD_TARGET_NS ? "PASS" : "FAIL",
        detail: `worst ${signed(worst.added!)} (${worst.label}); ${list}`,
      });
    }
    const mm = rows.find((r) => r.id === "matmul512");
    if (mm) {
      const target = `matmul 512×512 within ${Math.round((MATMUL_TARGET_RATIO - 1) * 100)}% of PyTorch`;
      const vsNative = mm.native ? `; vs raw FFI ${(mm.ours.median / mm.native.median).toFixed(3)}×` : "";
      if (mm.ratio === undefined || !mm.torch) {
        out.push({
          target,
          status: "SKIP",
          detail: `${ctx.torch ? "no PyTorch workload" : "no PyTorch"}; ours ${formatNs(mm.ours.median)}${vsNative}`,
        });
      } else {
        out.push({
          target,
          status: mm.ratio <= MATMUL_TARGET_RATIO ? "PASS" : "FAIL",
          detail: `${mm.ratio.toFixed(3)}× (ours ${formatNs(mm.ours.median)}, PyTorch ${
            formatNs(mm.torch.median)
          }, paired median ratio; best samples ${(mm.ours.min / mm.torch.min).toFixed(3)}×)${vsNative}`,
        });
      }
    }
    return out;
  },
};
