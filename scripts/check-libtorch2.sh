#!/usr/bin/env bash
# Compile-only check that native/ builds against libtorch 2.x headers (Debian trixie's libtorch-dev),
# without touching the system's apt configuration or installed packages: apt runs with a private
# sources list, package lists, cache and an empty dpkg status, and the .debs are unpacked with
# `dpkg -x` into build/libtorch2-headers (kept between runs).
#
# Exit codes: 0 the sources compile against the 2.x headers; 1 they do not (or the check itself is
# broken); 3 skipped: the headers could not be fetched (no network, no apt-get, no Debian keyring).
# LIBTORCH2_MIRROR overrides the Debian mirror (default: the one in the system's apt sources).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${LIBTORCH2_CACHE:-$ROOT/build/libtorch2-headers}"
SUITE="${LIBTORCH2_SUITE:-trixie}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

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

# The Debian mirror the system already uses (deb.debian.org when it uses none, as on Ubuntu).
mirror() {
  local files=() f uri
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && files+=("$f")
  done
  if [ "${#files[@]}" -gt 0 ]; then
    uri="$(grep -hv '^[[:space:]]*#' "${files[@]}" 2>/dev/null | grep -oE 'https?://[^][ "]+/debian/?([[:space:]]|$)' |
      head -n1 | tr -d '[:space:]' || true)"
    [ -n "$uri" ] && {
      echo "${uri%/}"
      return
    }
  fi
  echo "http://deb.debian.org/debian"
}

ROOTFS="$CACHE/root"
INCLUDE="$ROOTFS/usr/include"
DONE="$CACHE/complete"

if [ ! -f "$DONE" ] || [ ! -f "$INCLUDE/torch/csrc/api/include/torch/version.h" ]; then
  command -v apt-get >/dev/null 2>&1 || skip "apt-get is not available"
  command -v dpkg-deb >/dev/null 2>&1 || skip "dpkg-deb is not available"
  [ -f "$KEYRING" ] || skip "$KEYRING is missing (apt-get install debian-archive-keyring)"
  MIRROR="${LIBTORCH2_MIRROR:-$(mirror)}"
  APT="$CACHE/apt"
  rm -rf "$ROOTFS" "$APT" "$DONE"
  mkdir -p "$APT/lists/partial" "$APT/archives/partial" "$APT/cache" "$APT/debs"
  echo "deb [signed-by=$KEYRING] $MIRROR $SUITE main" >"$APT/sources.list"
  opts=(
    -o "Dir::Etc::SourceList=$APT/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
    -o "Dir::State::Lists=$APT/lists" -o Dir::State::status=/dev/null
    -o "Dir::Cache=$APT/cache" -o "Dir::Cache::Archives=$APT/archives"
    -o Acquire::Languages=none -o APT::Sandbox::User=root -o Debug::NoLocking=1
  )
  echo "libtorch 2.x check: fetching $SUITE's libtorch-dev from $MIRROR (private apt state in $APT)"
  if ! apt-get "${opts[@]}" -qq update </dev/null >"$APT/update.log" 2>&1 ||
    ! ls "$APT/lists/"*_Packages* >/dev/null 2>&1; then
    skip "could not fetch the $SUITE package lists from $MIRROR ($(grep -m1 -E '^(E|W):' "$APT/update.log" || echo 'apt-get update failed'))"
  fi
  version="$(apt-cache "${opts[@]}" show libtorch-dev 2>/dev/null | sed -nE 's/^Version: //p' | head -n1)"
  [ -n "$version" ] || fail "$SUITE has no libtorch-dev package"
  case "$version" in 2.*) ;; *) fail "$SUITE's libtorch-dev is $version, not 2.x" ;; esac
  # libtorch-dev holds ATen, c10, torch and caffe2 headers today; should Debian split c10 (or more)
  # into its own -dev package, take those along too. Dependencies such as python3-dev or
  # libprotobuf-dev are not needed by the headers native/ includes.
  pkgs=(libtorch-dev)
  while read -r dep; do
    pkgs+=("$dep")
  done < <(apt-cache "${opts[@]}" depends libtorch-dev 2>/dev/null |
    sed -nE 's/^[[:space:]]*Depends: ([^ <>]+).*/\1/p' | grep -E '^lib(c10|torch|aten|caffe2).*-dev$' || true)
  (cd "$APT/debs" && apt-get "${opts[@]}" -qq download "${pkgs[@]}" </dev/null >"$APT/download.log" 2>&1) ||
    skip "could not download ${pkgs[*]} ($(grep -m1 -E '^(E|W):' "$APT/download.log" || echo 'apt-get download failed'))"
  for deb in "$APT/debs/"*.deb; do
    dpkg-deb -x "$deb" "$ROOTFS"
  done
  [ -f "$INCLUDE/torch/csrc/api/include/torch/version.h" ] || fail "the unpacked ${pkgs[*]} holds no torch/version.h"
  echo "${pkgs[*]} $version" >"$DONE"
  rm -rf "$APT/lists" "$APT/cache" "$APT/archives" # only the unpacked headers are worth keeping
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
  [ -s "$CHECK_BUILD/check/$name.d" ] || fail "make check-headers did not compile native/$name.cpp (no $CHECK_BUILD/check/$name.d)"
done
stray="$(grep -ohE '(^|[[:space:]])/usr/include/(ATen|c10|torch|caffe2)/[^[:space:]]+' "$CHECK_BUILD"/check/*.d |
  sed 's/^[[:space:]]*//' | sort -u | head -n 5 || true)"
[ -z "$stray" ] || fail "the check used headers outside the 2.x tree, e.g.:
$stray"
echo "libtorch 2.x check: ok"
