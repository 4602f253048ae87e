#!/usr/bin/env bash
# Build-and-link check of the NCCL backend (native/dist_nccl.cpp), which no machine here can run:
# native/ is compiled with TORCH_NCCL=1 against a real CUDA libtorch 2.x (Debian trixie's
# libtorch-cuda-dev, contrib), CUDA 12's headers (nvidia-cuda-dev, non-free) and NCCL's (libnccl-dev,
# non-free), then linked with -Wl,--no-undefined against that libtorch's own libraries
# (libtorch-cuda-2.6), so that every c10d/NCCL symbol the shim calls is proven to exist there.
# Nothing is installed: scripts/lib/debian_fetch.sh downloads with private apt state; headers are
# kept in build/nccl-check between runs, the 1.4 GB of libraries only for the link.
#
# Exit codes: 0 the NCCL build compiles and links; 1 it does not (or the check itself is broken);
# 3 skipped: the packages could not be fetched, or the disk has no room for them.
# NCCL_CHECK_MIRROR overrides the Debian mirror (default: the one in the system's apt sources).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${NCCL_CHECK_CACHE:-$ROOT/build/nccl-check}"
SUITE="${NCCL_CHECK_SUITE:-trixie}"
DEBIAN_MIRROR="${NCCL_CHECK_MIRROR:-${DEBIAN_MIRROR:-}}"
# shellcheck source=scripts/lib/debian_fetch.sh
. "$ROOT/scripts/lib/debian_fetch.sh"

say() { echo "NCCL check: $*"; }
skip() {
  say "skipped: $*"
  exit 3
}
fail() {
  echo "NCCL check: FAILED: $*" >&2
  exit 1
}

case "${1:-}" in
  -h | --help)
    sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac

ROOTFS="$CACHE/root" # headers: libtorch-cuda-dev, CUDA, libcu++, NCCL, all under usr/include
INCLUDE="$ROOTFS/usr/include"
LIBS="$CACHE/libs"   # libtorch-cuda's shared libraries, for the link only
BUILD="$CACHE/build"
DONE="$CACHE/complete"
trap 'rm -rf "$LIBS"; debian_clean "$CACHE"' EXIT

# Room for the largest package (0.9 GB) and the unpacked libraries (1.4 GB), with a margin.
mkdir -p "$CACHE"
free_kb="$(df -Pk "$CACHE" | awk 'NR == 2 { print $4 }')"
[ "${free_kb:-0}" -ge 3500000 ] || skip "needs 3.5 GB free in $CACHE, $((${free_kb:-0} / 1024)) MB are"

debian_update "$CACHE" "$SUITE" "main contrib non-free" || skip "$FETCH_ERROR"
version="$(debian_version "$CACHE" libtorch-cuda-dev)"
[ -n "$version" ] || fail "$SUITE has no libtorch-cuda-dev package"
runtime="$(debian_depends "$CACHE" libtorch-cuda-dev '^libtorch-cuda-[0-9.]+$' | head -n1)"
[ -n "$runtime" ] || fail "libtorch-cuda-dev $version names no libtorch-cuda-N.N runtime package"

# unpack DEB [TAR-PATTERN...]: the whole package, or only the paths matching the patterns.
unpack() {
  local deb="$1" dest="$2"
  shift 2
  mkdir -p "$dest"
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest" --wildcards "$@"
}

if [ "$(cat "$DONE" 2>/dev/null)" != "libtorch-cuda-dev $version" ]; then
  rm -rf "$ROOTFS" "$DONE"
  say "fetching $SUITE's libtorch-cuda-dev $version with CUDA's and NCCL's headers"
  debian_download "$CACHE" libtorch-cuda-dev nvidia-cuda-dev libcu++-dev libnccl-dev || skip "$FETCH_ERROR"
  unpack "$CACHE"/debs/libtorch-cuda-dev_*.deb "$ROOTFS" './usr/include/*'
  unpack "$CACHE"/debs/libcu++-dev_*.deb "$ROOTFS" './usr/include/*'
  unpack "$CACHE"/debs/nvidia-cuda-dev_*.deb "$ROOTFS" './usr/include/*'
  unpack "$CACHE"/debs/libnccl-dev_*.deb "$ROOTFS" './usr/include/nccl*.h'
  for h in torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp cuda_runtime_api.h cusparse.h nccl.h; do
    [ -f "$INCLUDE/$h" ] || fail "the unpacked packages hold no $h"
  done
  echo "libtorch-cuda-dev $version" >"$DONE"
  rm -f "$CACHE"/debs/*.deb
fi

say "fetching $runtime (its shared libraries, for the link)"
debian_download "$CACHE" "$runtime" || skip "$FETCH_ERROR"
rm -rf "$LIBS"
unpack "$CACHE"/debs/"$runtime"_*.deb "$LIBS" '*/libc10.so.*' '*/libc10_cuda.so.*' '*/libtorch.so.*' \
  '*/libtorch_cpu.so.*' '*/libtorch_cuda.so.*'
rm -f "$CACHE"/debs/*.deb
libdir="$(dirname "$(find "$LIBS" -name 'libtorch_cuda.so.*' | head -n1)")"
for name in c10 c10_cuda torch torch_cpu torch_cuda; do
  real="$(find "$libdir" -maxdepth 1 -name "lib$name.so.*" | sort | head -n1)"
  [ -n "$real" ] || fail "$runtime holds no lib$name.so"
  ln -sf "$(basename "$real")" "$libdir/lib$name.so"
done

say "building native/ with NCCL against $(cat "$DONE") (CUDA $(sed -nE 's/^#define CUDA_VERSION ([0-9]+).*/\1/p' "$INCLUDE/cuda.h"))"
rm -rf "$BUILD"
# --allow-shlib-undefined: libtorch's own dependencies (libcudart, libnccl, a newer glibc) are not
# here; --no-undefined still makes every symbol of the shim's own resolve against libtorch.
if ! make -C "$ROOT/native" -s -j"$(nproc 2>/dev/null || echo 2)" BUILD="$BUILD" CXX="${CXX:-g++}" OPT=-O0 \
  DEPFLAGS=-MD TORCH_INCLUDE="$INCLUDE" CUDA_INCLUDE="$INCLUDE" TORCH_LIBDIR="$libdir" TORCH_CUDA=1 TORCH_NCCL=1 \
  EXTRA_LDFLAGS="-Wl,--no-undefined -Wl,--allow-shlib-undefined" >"$CACHE/build.log" 2>&1; then
  grep -E 'error|undefined reference' "$CACHE/build.log" | head -n 30 >&2 || true
  fail "native/ does not build and link with NCCL against $(cat "$DONE") (full log: $CACHE/build.log)"
fi
# (grep -c reads all of nm's output: grep -q could close the pipe early and fail it under pipefail.)
refs="$(nm -DC --undefined-only "$BUILD/libdeno_torch.so" | grep -c 'c10d::ProcessGroupNCCL::ProcessGroupNCCL' || true)"
[ "${refs:-0}" -gt 0 ] ||
  fail "the library links, but without the NCCL backend (no reference to c10d::ProcessGroupNCCL)"
# A header that the unpacked tree lacks would silently come from the libtorch in /usr/include
# (Debian's 1.13, say): every libtorch header must have come from the unpacked tree.
stray="$(grep -ohE '(^|[[:space:]])/usr/include/(ATen|c10|torch|caffe2)/[^[:space:]]+' "$BUILD"/obj/*.d |
  sed 's/^[[:space:]]*//' | sort -u | head -n 5 || true)"
[ -z "$stray" ] || fail "the build used headers outside the unpacked tree, e.g.:
$stray"
say "ok (every symbol resolves in $runtime's libraries)"
