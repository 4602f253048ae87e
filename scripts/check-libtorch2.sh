#!/usr/bin/env bash
# Compile-only check that native/ builds against libtorch 2.x headers (Debian trixie's libtorch-dev),
# without touching the system's apt configuration or installed packages (scripts/lib/debian_fetch.sh);
# the .debs are unpacked with `dpkg -x` into build/libtorch2-headers (kept between runs).
#
# Exit codes: 0 the sources compile against the 2.x headers; 1 they do not (or the check itself is
# broken); 3 skipped: the headers could not be fetched (no network, no apt-get, no Debian keyring).
# LIBTORCH2_MIRROR overrides the Debian mirror (default: the one in the system's apt sources).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${LIBTORCH2_CACHE:-$ROOT/build/libtorch2-headers}"
SUITE="${LIBTORCH2_SUITE:-trixie}"
DEBIAN_MIRROR="${LIBTORCH2_MIRROR:-${DEBIAN_MIRROR:-}}"
# shellcheck source=scripts/lib/debian_fetch.sh
. "$ROOT/scripts/lib/debian_fetch.sh"

skip() {
  echo "libtorch 2.x check: skipped: $*"
  exit 3
}
fail() {
  echo "libtorch 2.x check: FAILED: $*" >&2
  exit 1
}

case "${1:-}" in
  -h | --help)
    sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
esac

ROOTFS="$CACHE/root"
INCLUDE="$ROOTFS/usr/include"
DONE="$CACHE/complete"

if [ ! -f "$DONE" ] || [ ! -f "$INCLUDE/torch/csrc/api/include/torch/version.h" ]; then
  rm -rf "$ROOTFS" "$DONE"
  echo "libtorch 2.x check: fetching $SUITE's libtorch-dev (private apt state in $CACHE/apt)"
  debian_update "$CACHE" "$SUITE" main || skip "$FETCH_ERROR"
  version="$(debian_version "$CACHE" libtorch-dev)"
  [ -n "$version" ] || fail "$SUITE has no libtorch-dev package"
  case "$version" in 2.*) ;; *) fail "$SUITE's libtorch-dev is $version, not 2.x" ;; esac
  # libtorch-dev holds ATen, c10, torch and caffe2 headers today; should Debian split c10 (or more)
  # into its own -dev package, take those along too. Dependencies such as python3-dev or
  # libprotobuf-dev are not needed by the headers native/ includes.
  pkgs=(libtorch-dev)
  while read -r dep; do
    [ -n "$dep" ] && pkgs+=("$dep")
  done < <(debian_depends "$CACHE" libtorch-dev '^lib(c10|torch|aten|caffe2).*-dev$')
  debian_download "$CACHE" "${pkgs[@]}" || skip "$FETCH_ERROR"
  for deb in "$CACHE/debs/"*.deb; do
    dpkg-deb -x "$deb" "$ROOTFS"
  done
  [ -f "$INCLUDE/torch/csrc/api/include/torch/version.h" ] || fail "the unpacked ${pkgs[*]} holds no torch/version.h"
  echo "${pkgs[*]} $version" >"$DONE"
  debian_clean "$CACHE" # only the unpacked headers are worth keeping
fi

echo "libtorch 2.x check: compiling native/ against $(cat "$DONE") headers (-fsyntax-only)"
CHECK_BUILD="$CACHE/build"
rm -rf "$CHECK_BUILD"
if ! make -C "$ROOT/native" -k -s -j"$(nproc 2>/dev/null || echo 2)" check-headers \
  TORCH_INCLUDE="$INCLUDE" BUILD="$CHECK_BUILD" CXX="${CXX:-g++}" >"$CACHE/check.log" 2>&1; then
  grep -E 'error|Error' "$CACHE/check.log" | head -n 30 >&2 || true
  fail "native/ does not compile against the libtorch 2.x headers (full log: $CACHE/check.log)"
fi
# A header that the 2.x tree lacks would silently come from a libtorch installed in /usr/include
# (Debian's 1.13, say): make sure that every libtorch header came from the unpacked tree.
for src in "$ROOT"/native/*.cpp; do
  name="$(basename "$src" .cpp)"
  [ "$name" = dist_nccl ] && continue # needs CUDA's and NCCL's headers: scripts/check-nccl.sh
  [ -s "$CHECK_BUILD/check/$name.d" ] || fail "make check-headers did not compile native/$name.cpp (no $CHECK_BUILD/check/$name.d)"
done
stray="$(grep -ohE '(^|[[:space:]])/usr/include/(ATen|c10|torch|caffe2)/[^[:space:]]+' "$CHECK_BUILD"/check/*.d |
  sed 's/^[[:space:]]*//' | sort -u | head -n 5 || true)"
[ -z "$stray" ] || fail "the check used headers outside the 2.x tree, e.g.:
$stray"
echo "libtorch 2.x check: ok"
