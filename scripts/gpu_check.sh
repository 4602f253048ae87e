#!/usr/bin/env bash
# The project on a GPU, in one command: set-up, the device test suites, CUDA robustness, and the
# benchmarks beside PyTorch on the same GPU. Run `scripts/gpu_check.sh --help` for the options.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/gpu_check.sh [--dry-run | --pack | --help]

Runs on a GPU machine from a copy of this tree, with no network, in at most about 8 minutes:
  1. deno        the one on PATH, else .gpu/deno.xz (the deno npm package's binary, xz-compressed;
                 `--pack` makes it here), unpacked to .gpu/bin/deno
  2. build       the native library against the machine's pip torch (LIBTORCH_FROM_PIP=1), with CUDA,
                 and NCCL when found, into build-gpu/
  3. tests       the suites that take a device (ops, autograd, parity, training, decoding, layers,
                 optimizers, devices) with DENO_TORCH_TEST_DEVICE=cuda: the same assertions as on the CPU,
                 with PyTorch figures held to 1e-5 relative; the CUDA cases of tests/device_test.ts (an
                 index out of range is an error the CUDA context survives, device mismatches and bad
                 device strings are named errors)
  4. benchmarks  scripts/gpu/bench.ts beside scripts/gpu/torch_side.py: the seed-size train step (f32;
                 PyTorch's also with bf16 autocast), the bf16 matmul ceiling and the step's share of it,
                 greedy and beam-4 decoding, an epoch of 32k pairs
It prints a short table last and writes everything under $OUT (default build/gpu_check/): gpu_check.json,
bench.json, tests.xml and each step's log. The exit status is 0 when every step passed.

  --pack      run here, before the GPU call: writes .gpu/deno.xz from this machine's deno and
              .gpu/deno_npm.tar.xz from its npm cache, and copies the PyTorch reference
              (../shared/reference) to .gpu/reference/; then run on the GPU machine, with
              .gpu carried (it is ignored by git):  scripts/gpu_check.sh
  --dry-run   the CPU half, for CI: packs and unpacks deno and the npm packages (fast xz) and checks that
              deno runs, uses the CPU build, runs tests/device_test.ts, an op suite and the decoding suite
              on DENO_TORCH_TEST_DEVICE (cpu) from the unpacked packages alone (--cached-only), and the
              benchmarks at tiny sizes. It tests the script, not the machine.

Environment: OUT (results folder), DENO_TORCH_TEST_DEVICE (default cuda; cpu with --dry-run),
DENO_TORCH_PYTHON (PyTorch's python: default python3, /usr/bin/python3 with --dry-run).
EOF
}

MODE=gpu
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  --dry-run) MODE=dry ;;
  --pack) MODE=pack ;;
  "") ;;
  *) echo "gpu_check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GPU_DIR="$ROOT/.gpu"
START=$SECONDS
say() { echo "gpu_check: $*" >&2; }
die() { say "error: $*"; exit 1; }

# Where the PyTorch reference is: beside the project, or the copy --pack made.
reference_dir() {
  local d
  for d in "${DENO_TORCH_REFERENCE_DIR:-}" "$ROOT/../shared/reference" "$GPU_DIR/reference"; do
    [ -n "$d" ] && [ -f "$d/transformer_ref.py" ] && [ -f "$d/decode_ref.py" ] && { (cd "$d" && pwd); return; }
  done
  return 0
}

# xz, or python's lzma where the machine has no xz. unxz_to SRC DEST / xz_to LEVEL SRC DEST.
unxz_to() {
  if command -v xz >/dev/null 2>&1; then xz -dc "$1" >"$2"; else
    python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}
xz_to() { xz -T0 "-$1" -c "$2" >"$3"; }

deno_binary() { # the real binary behind the deno on PATH (npm's bin is a link to it)
  readlink -f "$(command -v deno)"
}

# The npm packages of this project's imports, from deno's cache, as a DENO_DIR to unpack there (no
# network there: deno wants every package of deno.json's imports cached). The tokenizers package
# ships a binary for every platform (64 MB): only linux-x64-gnu's goes. pack_npm LEVEL DEST.
pack_npm() {
  local cache
  cache="$(deno info --json | "$PY_ANY" -c 'import json,sys; print(json.load(sys.stdin)["npmCache"])')"
  (cd "$ROOT" && deno cache --quiet mod.ts nmt/mod.ts >/dev/null) # everything the suites import, cached
  tar -C "$(dirname "$cache")" -cf - \
    --exclude='tokenizers.darwin*' --exclude='tokenizers.win32*' --exclude='tokenizers.android*' \
    --exclude='tokenizers.linux-arm*' --exclude='tokenizers.*musl*' --exclude='tokenizers.freebsd*' \
    "$(basename "$cache")" | xz -T0 "-$1" >"$2"
}

# Unpacks what pack_npm made into DEST (python's tarfile reads xz without the xz binary).
unpack_npm() {
  "$PY_ANY" -c 'import sys,tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$1" "$2"
}
PY_ANY="$(command -v python3 || echo /usr/bin/python3)"

if [ "$MODE" = pack ]; then
  command -v deno >/dev/null 2>&1 || die "no deno on PATH to pack"
  command -v xz >/dev/null 2>&1 || die "xz is needed to pack deno (apt-get install xz-utils)"
  ref="$(reference_dir)"
  [ -n "$ref" ] || die "the PyTorch reference (transformer_ref.py, decode_ref.py) is not in ../shared/reference"
  mkdir -p "$GPU_DIR/reference"
  say "packing $(deno_binary) ($(deno --version | head -n1)) into .gpu/deno.xz"
  xz_to 9 "$(deno_binary)" "$GPU_DIR/deno.xz.tmp" && mv "$GPU_DIR/deno.xz.tmp" "$GPU_DIR/deno.xz"
  cp "$ref/transformer_ref.py" "$ref/decode_ref.py" "$GPU_DIR/reference/"
  say "packing the npm packages the device suites import into .gpu/deno_npm.tar.xz"
  pack_npm 9 "$GPU_DIR/deno_npm.tar.xz"
  du -sh "$GPU_DIR" >&2
  say "done. On the GPU machine, with .gpu carried: scripts/gpu_check.sh"
  exit 0
fi

if [ "$MODE" = dry ]; then
  OUT="${OUT:-$ROOT/build/gpu_check-dry}"
  DEVICE="${DENO_TORCH_TEST_DEVICE:-cpu}"
  PY="${DENO_TORCH_PYTHON:-/usr/bin/python3}"
else
  OUT="${OUT:-$ROOT/build/gpu_check}"
  DEVICE="${DENO_TORCH_TEST_DEVICE:-cuda}"
  PY="${DENO_TORCH_PYTHON:-python3}"
fi
mkdir -p "$OUT"
export DENO_TORCH_PYTHON="$PY"
STEPS_TSV="$OUT/steps.tsv"
: >"$STEPS_TSV"

# record NAME STATUS DETAIL: one line of the summary.
record() {
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$STEPS_TSV"
  say "$1: $2 ($3)"
}

# ---- 1. deno -----------------------------------------------------------------------------------------
deno_ok() { command -v deno >/dev/null 2>&1 && deno --version 2>/dev/null | grep -qE '^deno [2-9]'; }
if [ "$MODE" = dry ]; then
  # The pack and unpack path itself, with a fast xz level: what the GPU machine will do with .gpu/deno.xz.
  deno_ok || die "--dry-run needs deno on PATH (scripts/setup.sh installs it)"
  t0=$SECONDS
  xz_to 0 "$(deno_binary)" "$OUT/deno.xz"
  unxz_to "$OUT/deno.xz" "$OUT/deno"
  chmod +x "$OUT/deno"
  if [ "$("$OUT/deno" --version | head -n1)" = "$(deno --version | head -n1)" ]; then
    record deno ok "packed $(du -m "$OUT/deno.xz" | cut -f1) MB with xz -0 and unpacked in $((SECONDS - t0)) s; it runs"
  else
    record deno failed "the unpacked deno does not run"
  fi
  rm -f "$OUT/deno" "$OUT/deno.xz"
  pack_npm 0 "$OUT/deno_npm.tar.xz"
  rm -rf "$OUT/deno_dir" && mkdir -p "$OUT/deno_dir" && unpack_npm "$OUT/deno_npm.tar.xz" "$OUT/deno_dir"
  rm -f "$OUT/deno_npm.tar.xz"
  export DENO_DIR="$OUT/deno_dir"
  record npm ok "the npm packages unpacked into a fresh DENO_DIR ($(du -sm "$DENO_DIR" | cut -f1) MB); the suites run from it alone"
elif deno_ok; then
  record deno ok "$(deno --version | head -n1) on PATH"
elif [ -f "$GPU_DIR/deno.xz" ]; then
  mkdir -p "$GPU_DIR/bin"
  unxz_to "$GPU_DIR/deno.xz" "$GPU_DIR/bin/deno.tmp" && chmod +x "$GPU_DIR/bin/deno.tmp" && mv "$GPU_DIR/bin/deno.tmp" "$GPU_DIR/bin/deno"
  export PATH="$GPU_DIR/bin:$PATH"
  deno_ok || die "the deno unpacked from .gpu/deno.xz does not run"
  record deno ok "$(deno --version | head -n1) from .gpu/deno.xz"
else
  die "no deno: run scripts/gpu_check.sh --pack where deno is installed, and carry .gpu"
fi
if [ "$MODE" = gpu ]; then
  if [ -f "$GPU_DIR/deno_npm.tar.xz" ]; then
    rm -rf "$GPU_DIR/deno_dir" && mkdir -p "$GPU_DIR/deno_dir" && unpack_npm "$GPU_DIR/deno_npm.tar.xz" "$GPU_DIR/deno_dir"
    export DENO_DIR="$GPU_DIR/deno_dir"
    record npm ok "the npm packages from .gpu/deno_npm.tar.xz"
  else
    record npm missing "no .gpu/deno_npm.tar.xz (--pack makes it): deno will try the network for them"
  fi
fi
# No network there: deno must not try to fetch anything (the suites below import no npm package).
export DENO_NO_UPDATE_CHECK=1

REF="$(reference_dir)"
[ -n "$REF" ] || die "the PyTorch reference is neither in ../shared/reference nor in .gpu/reference (--pack copies it)"
export DENO_TORCH_REFERENCE_DIR="$REF"

# ---- 2. build ----------------------------------------------------------------------------------------
t0=$SECONDS
if [ "$MODE" = dry ]; then
  build_ok=1
  bash "$ROOT/scripts/setup.sh" >"$OUT/build.log" 2>&1 || build_ok=0
else
  export DENO_TORCH_BUILD="$ROOT/build-gpu" DENO_TORCH_LIB="$ROOT/build-gpu/libdeno_torch.so"
  build_ok=1
  LIBTORCH_FROM_PIP=1 PYTHON="$PY" bash "$ROOT/scripts/setup.sh" >"$OUT/build.log" 2>&1 || build_ok=0
fi
if [ "$build_ok" = 1 ]; then
  record build ok "$(grep -m1 '^libtorch' "$OUT/build.log" || echo 'libtorch found'); $((SECONDS - t0)) s"
else
  record build failed "see build.log: $(grep -m1 -i 'error' "$OUT/build.log" || tail -n1 "$OUT/build.log")"
fi

# ---- 3. tests ----------------------------------------------------------------------------------------
TEST_FLAGS=(--allow-ffi --allow-env --allow-read --allow-write --allow-run --allow-sys --allow-net=127.0.0.1
  --v8-flags=--expose-gc)
if [ "$MODE" = dry ]; then
  SUITES=(tests/device_test.ts tests/ops_elementwise_test.ts tests/decode_test.ts)
  TEST_LIMIT=240
else
  SUITES=(tests/device_test.ts tests/ops_*_test.ts tests/grad_test.ts tests/grad_cases_test.ts tests/parity_test.ts
    tests/transformer_test.ts tests/decode_test.ts tests/beam_exhaustive_test.ts tests/train_test.ts tests/nn_test.ts
    tests/nn_more_test.ts tests/optim_test.ts tests/optim_more_test.ts)
  TEST_LIMIT=270
fi
if [ "$build_ok" = 1 ]; then
  t0=$SECONDS
  set +e
  (cd "$ROOT" && DENO_TORCH_TEST_DEVICE="$DEVICE" timeout "$TEST_LIMIT" deno test --cached-only "${TEST_FLAGS[@]}" \
    --junit-path="$OUT/tests.xml" "${SUITES[@]}") >"$OUT/tests.log" 2>&1
  code=$?
  set -e
  line="$(sed 's/\x1b\[[0-9;]*m//g' "$OUT/tests.log" | grep -E '^(ok|FAILED) \|' | tail -n1 || true)"
  detail="${line:-no summary line} on $DEVICE, ${#SUITES[@]} files, $((SECONDS - t0)) s"
  [ "$code" = 124 ] && detail="stopped after ${TEST_LIMIT} s; $detail"
  if [ "$code" = 0 ]; then record tests ok "$detail"; else record tests failed "$detail; see tests.log"; fi
else
  record tests skipped "no native library"
fi

# ---- 4. benchmarks -----------------------------------------------------------------------------------
if [ "$build_ok" = 1 ]; then
  t0=$SECONDS
  bench_args=(--device "$DEVICE" --reference "$REF" --out "$OUT/bench.json")
  [ "$MODE" = dry ] && bench_args+=(--dry-run)
  set +e
  (cd "$ROOT" && timeout 240 deno run --cached-only -A scripts/gpu/bench.ts "${bench_args[@]}") >"$OUT/bench.txt" 2>"$OUT/bench.log"
  code=$?
  set -e
  if [ "$code" = 0 ]; then record benchmarks ok "$((SECONDS - t0)) s"; else
    record benchmarks failed "exit $code after $((SECONDS - t0)) s; see bench.log"
  fi
else
  record benchmarks skipped "no native library"
fi

# ---- results -----------------------------------------------------------------------------------------
"$PY" - "$STEPS_TSV" "$OUT/bench.json" "$OUT/gpu_check.json" "$MODE" "$DEVICE" "$((SECONDS - START))" <<'PYEOF'
import json, os, sys
steps_tsv, bench, out, mode, device, seconds = sys.argv[1:]
steps = [dict(zip(("step", "status", "detail"), l.rstrip("\n").split("\t"))) for l in open(steps_tsv) if l.strip()]
result = {"mode": mode, "device": device, "seconds": int(seconds), "steps": steps,
          "bench": json.load(open(bench)) if os.path.exists(bench) else None}
json.dump(result, open(out, "w"), indent=2)
PYEOF
echo
[ -f "$OUT/bench.txt" ] && cat "$OUT/bench.txt"
echo
while IFS=$'\t' read -r step status detail; do printf '%-11s %-8s %s\n' "$step" "$status" "$detail"; done <"$STEPS_TSV"
failed="$(grep -cv $'\tok\t' "$STEPS_TSV" || true)"
echo "gpu_check ($MODE, $DEVICE): $((SECONDS - START)) s, $([ "$failed" = 0 ] && echo 'all steps passed' || echo "$failed step(s) not passed"); results in $OUT"
[ "$failed" = 0 ]
