#!/usr/bin/env bash
# Installs what deno-torch needs and builds build/libdeno_torch.so. Safe to run any number of times:
# when nothing is missing and the native sources are unchanged it only checks, in well under 2 s.
# Run `scripts/setup.sh --help` for the options.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/setup.sh [--help]

Makes the project runnable: installs what is missing (as root, on Debian/Ubuntu), picks a libtorch and
builds build/libdeno_torch.so when its sources, the libtorch or the compiler changed.

Installs when missing:
  deno 2.x      npm install -g deno (global; never into the project's node_modules)
  g++, make     apt-get install -y g++ make
  libtorch      apt-get install -y libtorch-dev libopenblas0-pthread libgloo-dev libdnnl-dev   (Debian's CPU build)
                (`apt-get update` runs once, and only when something must be installed)

Which libtorch is used, first match wins:
  LIBTORCH=/path          an unpacked libtorch (pytorch.org zip layout: include/, lib/); nothing is
                          installed through apt for libtorch then
  LIBTORCH_FROM_PIP=1     the libtorch inside the pip-installed `torch` of $PYTHON (default python3)
  system                  Debian's libtorch-dev (headers in /usr/include) if it is installed
  pip torch               else a pip-installed `torch`, if $PYTHON can import one
  apt                     else libtorch-dev is installed with apt-get

CUDA is used when the chosen libtorch has lib/libtorch_cuda.so (TORCH_CUDA=1), and with it NCCL for
data-parallel training when that libtorch has it and NCCL's and CUDA's headers are found; the C++ ABI
(CXX11_ABI=1/0) is read from libc10.so. The library is rebuilt only when build/native.stamp (sha256
of native/*, the libtorch path and version, the compiler version) no longer matches.

Environment:
  LIBTORCH, LIBTORCH_FROM_PIP, PYTHON   see above
  CXX                                   compiler (default g++)
  DENO_TORCH_BUILD=/dir                 build there instead of build/ (scripts/build_native.ts uses it)
  CUDA_INCLUDE, NCCL_INCLUDE            folders of CUDA's and NCCL's headers, for the NCCL backend of a
                                        CUDA libtorch (default: searched); NCCL=0 leaves NCCL out
  WITH_BROWSER=1                        also install Chromium, for the app's browser test (CI sets it)
  WITH_REFERENCE=1                      also install Debian's python3-torch, so that the tests comparing
                                        with PyTorch run (CI sets it)
  FORCE_BUILD=1                         rebuild the native library even when up to date
EOF
}

case "${1:-}" in
  -h | --help) usage; exit 0 ;;
  "") ;;
  *) echo "setup: unknown argument '$1' (see --help)" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${DENO_TORCH_BUILD:-$ROOT/build}" # scripts/build_native.ts builds into the per-user cache
STAMP="$BUILD/native.stamp"
LIBFILE="$BUILD/libdeno_torch.so"
CXX="${CXX:-g++}"
PYTHON="${PYTHON:-python3}"
START=$SECONDS

die() {
  echo "setup: error: $*" >&2
  exit 1
}
is_root() { [ "$(id -u)" = 0 ]; }

# ---- what is there ---------------------------------------------------------------------------------

deno_major() { # prints deno's major version, or nothing when deno is absent or broken
  command -v deno >/dev/null 2>&1 || return 0
  deno --version 2>/dev/null | sed -nE '1s/^deno ([0-9]+)\..*/\1/p'
}

multiarch() { "$CXX" -print-multiarch 2>/dev/null || gcc -print-multiarch 2>/dev/null || true; }

# Sets SYSTEM_LIBDIR when Debian's libtorch-dev (or an equivalent install under /usr) is complete.
SYSTEM_VERSION_H=/usr/include/torch/csrc/api/include/torch/version.h
find_system_libtorch() {
  SYSTEM_LIBDIR=""
  [ -f "$SYSTEM_VERSION_H" ] || return 1
  local ma dir
  ma="$(multiarch)"
  for dir in ${ma:+/usr/lib/$ma} /usr/lib/*-linux-gnu* /usr/lib64 /usr/lib /usr/local/lib; do
    if [ -e "$dir/libtorch.so" ] && [ -e "$dir/libc10.so" ]; then
      SYSTEM_LIBDIR="$dir"
      return 0
    fi
  done
  return 1
}

pip_torch_dir() { # prints the directory of the pip-installed torch package, or nothing
  command -v "$PYTHON" >/dev/null 2>&1 || return 0
  # find_spec locates the package without importing it (importing torch takes seconds).
  "$PYTHON" -c 'import importlib.util as u,os;s=u.find_spec("torch");print(os.path.dirname(s.origin) if s and s.origin else "")' \
    2>/dev/null || true
}

dpkg_installed() { # dpkg_installed PACKAGE: true when dpkg knows it as installed
  command -v dpkg-query >/dev/null 2>&1 || return 1
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# ---- choose the libtorch ---------------------------------------------------------------------------

TORCH_KIND="" # LIBTORCH | pip | system
TORCH_PREFIX="" TORCH_INCLUDE="" TORCH_LIBDIR=""
APT_PACKAGES=()

use_prefix() { # use_prefix KIND DIR: a libtorch laid out as DIR/include + DIR/lib
  local kind="$1" dir="$2"
  [ -d "$dir" ] || die "$kind libtorch: $dir is not a directory"
  [ -d "$dir/include" ] || die "$kind libtorch at $dir has no include/ folder (expected the pytorch.org zip layout: include/, lib/)"
  [ -f "$dir/include/torch/csrc/api/include/torch/version.h" ] ||
    die "$kind libtorch at $dir: include/torch/csrc/api/include/torch/version.h is missing (headers incomplete?)"
  [ -d "$dir/lib" ] || die "$kind libtorch at $dir has no lib/ folder"
  [ -e "$dir/lib/libtorch.so" ] || die "$kind libtorch at $dir: lib/libtorch.so is missing"
  TORCH_KIND="$kind"
  TORCH_PREFIX="$(cd "$dir" && pwd)"
  TORCH_INCLUDE="$TORCH_PREFIX/include"
  TORCH_LIBDIR="$TORCH_PREFIX/lib"
}

if [ -n "${LIBTORCH:-}" ]; then
  use_prefix LIBTORCH "$LIBTORCH"
elif [ "${LIBTORCH_FROM_PIP:-0}" = 1 ]; then
  dir="$(pip_torch_dir)"
  [ -n "$dir" ] || die "LIBTORCH_FROM_PIP=1 but '$PYTHON -c \"import torch\"' failed; install torch with pip or set PYTHON"
  use_prefix pip "$dir"
elif find_system_libtorch; then
  TORCH_KIND=system
else
  dir="$(pip_torch_dir)"
  if [ -n "$dir" ] && [ -e "$dir/lib/libtorch.so" ] && [ -d "$dir/include" ]; then
    use_prefix pip "$dir"
  else
    TORCH_KIND=system # to be installed below
    APT_PACKAGES+=(libtorch-dev)
  fi
fi
if [ "$TORCH_KIND" = system ] && command -v dpkg-query >/dev/null 2>&1 && ! dpkg_installed libopenblas0-pthread; then
  APT_PACKAGES+=(libopenblas0-pthread)
fi
# Debian's libtorch-dev leaves out the Gloo headers that its distributed headers include (native/dist.cpp).
if [ "$TORCH_KIND" = system ] && command -v dpkg-query >/dev/null 2>&1 && ! dpkg_installed libgloo-dev; then
  APT_PACKAGES+=(libgloo-dev)
fi
# oneDNN's headers, for the dnnl int8 engine (native/quantized_dnnl.cpp) on the oneDNN that Debian's
# libtorch links; without them the library builds without that engine.
if [ "$TORCH_KIND" = system ] && command -v dpkg-query >/dev/null 2>&1 && ! dpkg_installed libdnnl-dev; then
  APT_PACKAGES+=(libdnnl-dev)
fi

# ---- compiler, make, deno ---------------------------------------------------------------------------

if ! command -v "$CXX" >/dev/null 2>&1; then
  [ "$CXX" = g++ ] || die "no C++ compiler: CXX=$CXX not found"
  APT_PACKAGES+=(g++)
fi
command -v make >/dev/null 2>&1 || APT_PACKAGES+=(make)

# The browser test of `deno task serve` (tests/browser_test.ts) drives Debian's Chromium; CI asks for it.
if [ "${WITH_BROWSER:-0}" = 1 ] && ! [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  APT_PACKAGES+=(chromium)
fi

# The tests that compare with PyTorch (parity, Adam, safetensors, op cross-checks) run the reference in
# /usr/bin/python3 with Debian's torch; CI asks for it so that none of them skips there.
if [ "${WITH_REFERENCE:-0}" = 1 ] && ! /usr/bin/python3 -c "import torch" >/dev/null 2>&1; then
  APT_PACKAGES+=(python3-torch)
fi

NEED_DENO=0
major="$(deno_major)"
if [ -z "$major" ] || [ "$major" -lt 2 ]; then
  NEED_DENO=1
  command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(npm)
fi

# ---- install what is missing ------------------------------------------------------------------------

if [ "${#APT_PACKAGES[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    die "missing: ${APT_PACKAGES[*]}; this is not a Debian/Ubuntu system (no apt-get): install them yourself, or set LIBTORCH=/path/to/libtorch"
  fi
  if ! is_root; then
    die "missing: ${APT_PACKAGES[*]}. Run as root, or install them first:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${APT_PACKAGES[*]}"
  fi
  echo "apt: installing ${APT_PACKAGES[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_log="$(mktemp)"
  apt-get update -qq </dev/null >"$apt_log" 2>&1 || { tail -n 20 "$apt_log" >&2; die "apt-get update failed"; }
  apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" </dev/null >"$apt_log" 2>&1 ||
    { tail -n 20 "$apt_log" >&2; die "apt-get install ${APT_PACKAGES[*]} failed"; }
  rm -f "$apt_log"
  if [ "$TORCH_KIND" = system ] && [ -z "${SYSTEM_LIBDIR:-}" ]; then
    find_system_libtorch || die "libtorch-dev was installed but its headers or libtorch.so were not found under /usr"
  fi
fi
command -v "$CXX" >/dev/null 2>&1 || die "no C++ compiler: $CXX not found"
command -v make >/dev/null 2>&1 || die "make not found"

if [ "$NEED_DENO" = 1 ]; then
  if ! is_root; then
    die "deno 2.x is missing. Install it with:  sudo npm install -g deno"
  fi
  echo "deno: installing with npm install -g deno"
  # From / so that no project's node_modules or package.json is ever touched.
  npm_log="$(mktemp)"
  (cd / && npm install -g deno </dev/null >"$npm_log" 2>&1) || { tail -n 20 "$npm_log" >&2; die "npm install -g deno failed"; }
  rm -f "$npm_log"
  hash -r
  if [ -z "$(deno_major)" ]; then
    bin="$(npm prefix -g 2>/dev/null)/bin"
    [ -x "$bin/deno" ] && die "deno was installed to $bin, which is not on PATH: add it (export PATH=\"$bin:\$PATH\")"
    die "npm install -g deno finished but 'deno --version' does not work"
  fi
  major="$(deno_major)"
  [ "$major" -ge 2 ] || die "deno $major.x found first on PATH at $(command -v deno); deno 2.x is needed (npm installed it under $(npm prefix -g 2>/dev/null)/bin)"
fi
echo "deno $(deno --version | sed -nE '1s/^deno ([^ ]+).*/\1/p'): ok"

# ---- describe the chosen libtorch ---------------------------------------------------------------------

if [ "$TORCH_KIND" = system ]; then
  TORCH_INCLUDE=/usr/include
  TORCH_LIBDIR="$SYSTEM_LIBDIR"
  MAKE_LIBDIR="" # on the default search path: no -L, no rpath
  VERSION_H="$SYSTEM_VERSION_H"
else
  MAKE_LIBDIR="$TORCH_LIBDIR"
  VERSION_H="$TORCH_INCLUDE/torch/csrc/api/include/torch/version.h"
fi
[ -f "$TORCH_LIBDIR/libc10.so" ] || die "$TORCH_KIND libtorch: $TORCH_LIBDIR/libc10.so is missing"

version_part() { sed -nE "s/^#define TORCH_VERSION_$1 ([0-9]+).*/\\1/p" "$VERSION_H" | head -n1; }
TORCH_VERSION="$(version_part MAJOR).$(version_part MINOR).$(version_part PATCH)"
[ "$TORCH_VERSION" != .. ] || die "cannot read the libtorch version from $VERSION_H"
if [ "$TORCH_KIND" = system ] && dpkg_installed libtorch-dev; then
  # Debian's version.h lags the package (1.13.0 in 1.13.1+dfsg-4): the package version is the truth.
  pkg="$(dpkg-query -W -f='${Version}' libtorch-dev)"
  TORCH_VERSION="${pkg%%+*}"
  TORCH_VERSION="${TORCH_VERSION%%-*}"
  TORCH_VERSION="${TORCH_VERSION#*:}"
  TORCH_BUILD_ID="libtorch-dev $pkg"
else
  TORCH_BUILD_ID="$TORCH_VERSION"
fi

TORCH_CUDA=0
[ -e "$TORCH_LIBDIR/libtorch_cuda.so" ] && TORCH_CUDA=1
# libstdc++'s new ABI mangles std::string as std::__cxx11::basic_string. grep -c reads all of nm's
# output (grep -q could close the pipe early and fail the pipeline under pipefail).
cxx11="$(nm -DC "$TORCH_LIBDIR/libc10.so" 2>/dev/null | grep -c '__cxx11' || true)"
if [ "${cxx11:-0}" -gt 0 ]; then CXX11_ABI=1; else CXX11_ABI=0; fi

# ---- NCCL, for data-parallel training on CUDA (native/dist_nccl.cpp) ----------------------------------
# Built in when the CUDA libtorch exports c10d's ProcessGroupNCCL and dist_nccl.cpp compiles with the
# CUDA and NCCL headers found (a pip torch keeps them in site-packages/nvidia/*/include). CUDA_INCLUDE
# and NCCL_INCLUDE (folders, space-separated) replace the search; NCCL=0 leaves NCCL out.
TORCH_NCCL=0 NCCL_NOTE=""
first_with() { # first_with HEADER DIR...: the first DIR holding HEADER
  local h="$1" d
  shift
  for d in "$@"; do
    [ -n "$d" ] && [ -f "$d/$h" ] && {
      echo "$d"
      return
    }
  done
  return 0
}
if [ "$TORCH_CUDA" = 1 ] && [ "${NCCL:-1}" != 0 ]; then
  pip_nvidia=()
  [ "$TORCH_KIND" = pip ] && for d in "$(dirname "$TORCH_PREFIX")"/nvidia/*/include; do [ -d "$d" ] && pip_nvidia+=("$d"); done
  toolkit="$(first_with cuda_runtime_api.h ${CUDA_HOME:+"$CUDA_HOME/include"} /usr/local/cuda/include /usr/include)"
  found=()
  [ -n "$toolkit" ] && found+=("$toolkit")
  found+=("${pip_nvidia[@]}")
  CUDA_INCLUDE="${CUDA_INCLUDE:-${found[*]:-}}"
  # shellcheck disable=SC2086 # CUDA_INCLUDE is a space-separated list of folders
  NCCL_INCLUDE="${NCCL_INCLUDE:-$(first_with nccl.h "$TORCH_INCLUDE" $CUDA_INCLUDE /usr/include)}"
  exported="$(nm -DC "$TORCH_LIBDIR/libtorch_cuda.so" 2>/dev/null | grep -c 'c10d::ProcessGroupNCCL::ProcessGroupNCCL' || true)"
  if [ "${exported:-0}" -eq 0 ]; then
    NCCL_NOTE="this libtorch was built without NCCL"
  elif [ -z "${CUDA_INCLUDE// /}" ]; then
    NCCL_NOTE="CUDA's headers (cuda_runtime_api.h) were not found: set CUDA_HOME or CUDA_INCLUDE"
  elif [ -z "$NCCL_INCLUDE" ]; then
    NCCL_NOTE="NCCL's header (nccl.h) was not found: install libnccl-dev (Debian) or set NCCL_INCLUDE"
  else
    # Whether dist_nccl.cpp compiles here (remembered per libtorch, compiler and header folders).
    probe_key="$(printf '%s\n' "$TORCH_INCLUDE" "$TORCH_LIBDIR" "$TORCH_BUILD_ID" "$CXX" "$CUDA_INCLUDE" "$NCCL_INCLUDE" \
      "$(sha256sum "$ROOT/native/dist_nccl.cpp" "$ROOT/native/dist.h" "$ROOT/native/shim.h")" | sha256sum | cut -d' ' -f1)"
    probe="$BUILD/nccl-probe"
    if [ "$(head -n1 "$probe.result" 2>/dev/null)" != "$probe_key" ]; then
      mkdir -p "$BUILD"
      if make -C "$ROOT/native" -s check-dist_nccl BUILD="$probe" CXX="$CXX" TORCH_INCLUDE="$TORCH_INCLUDE" \
        TORCH_NCCL=1 CUDA_INCLUDE="$CUDA_INCLUDE" NCCL_INCLUDE="$NCCL_INCLUDE" CXX11_ABI="$CXX11_ABI" >"$probe.log" 2>&1; then
        printf '%s\nok\n' "$probe_key" >"$probe.result"
      else
        printf '%s\nfailed\n' "$probe_key" >"$probe.result"
      fi
    fi
    if [ "$(tail -n1 "$probe.result")" = ok ]; then
      TORCH_NCCL=1
    else
      NCCL_NOTE="native/dist_nccl.cpp does not compile with these headers ($(grep -m1 'error' "$probe.log" || echo "see $probe.log"))"
    fi
  fi
  [ "$TORCH_NCCL" = 1 ] || { CUDA_INCLUDE="" NCCL_INCLUDE=""; }
fi

case "$TORCH_KIND" in
  system) where="$TORCH_LIBDIR" ;;
  *) where="$TORCH_PREFIX" ;;
esac
devices=CPU
[ "$TORCH_CUDA" = 1 ] && devices="CUDA, $([ "$TORCH_NCCL" = 1 ] && echo NCCL || echo 'no NCCL')"
echo "libtorch $TORCH_VERSION ($TORCH_KIND, $devices, C++11 ABI $CXX11_ABI) at $where"
[ -z "$NCCL_NOTE" ] || echo "setup: note: no NCCL backend, so no data-parallel training on CUDA: $NCCL_NOTE"

# ---- build the native library when its inputs changed -------------------------------------------------

COMPILER="$("$CXX" --version 2>/dev/null | head -n1)"
TOOLCHAIN="toolchain $(printf '%s\n' "$TORCH_KIND" "$TORCH_INCLUDE" "$TORCH_LIBDIR" "$TORCH_BUILD_ID" \
  "cuda=$TORCH_CUDA" "nccl=$TORCH_NCCL ${CUDA_INCLUDE:-} ${NCCL_INCLUDE:-}" "abi=$CXX11_ABI" "$CXX" "$COMPILER" \
  "dnnl=$([ -e /usr/include/oneapi/dnnl/dnnl.hpp ] && echo 1 || echo 0)" |
  sha256sum | cut -d' ' -f1)"
# One sha256 per native source (content only: touching a file changes nothing; docs are left out),
# then the toolchain.
new_stamp="$(
  cd "$ROOT"
  find native -maxdepth 1 -type f \( -name '*.cpp' -o -name '*.cc' -o -name '*.h' -o -name '*.hpp' -o -name Makefile \) |
    LC_ALL=C sort | xargs sha256sum
  echo "$TOOLCHAIN"
)"
old_stamp="$(cat "$STAMP" 2>/dev/null || true)"

if [ "${FORCE_BUILD:-0}" != 1 ] && [ -f "$LIBFILE" ] && [ "$new_stamp" = "$old_stamp" ]; then
  echo "native library: up to date ($LIBFILE)"
else
  make_args=(-B)
  if [ -f "$LIBFILE" ] && [ "${FORCE_BUILD:-0}" != 1 ] && [ "$(tail -n1 <<<"$old_stamp")" = "$TOOLCHAIN" ]; then
    # Same libtorch and compiler: let make rebuild only what depends on the sources whose content
    # changed (their mtime is bumped so that make sees them, whatever git or an editor left there).
    make_args=()
    while read -r sum file; do
      grep -qxF "$sum  $file" <<<"$old_stamp" || touch "$ROOT/$file"
    done < <(grep -v '^toolchain ' <<<"$new_stamp")
  fi
  mkdir -p "$BUILD"
  rm -f "$STAMP"
  t0=$SECONDS
  log="$BUILD/native-build.log"
  if ! make -C "$ROOT/native" -j"$(nproc 2>/dev/null || echo 2)" "${make_args[@]}" BUILD="$BUILD" CXX="$CXX" \
    TORCH_INCLUDE="$TORCH_INCLUDE" TORCH_LIBDIR="$MAKE_LIBDIR" TORCH_CUDA="$TORCH_CUDA" CXX11_ABI="$CXX11_ABI" \
    TORCH_NCCL="$TORCH_NCCL" CUDA_INCLUDE="${CUDA_INCLUDE:-}" NCCL_INCLUDE="${NCCL_INCLUDE:-}" \
    >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    die "building the native library failed (full log: $log)"
  fi
  missing="$(ldd "$LIBFILE" 2>/dev/null | grep 'not found' || true)"
  [ -z "$missing" ] || die "built $LIBFILE, but some of its libraries cannot be found:
$missing"
  printf '%s\n' "$new_stamp" >"$STAMP"
  echo "native library: built in $((SECONDS - t0)) s ($LIBFILE)"
fi
[ $((SECONDS - START)) -lt 2 ] || echo "setup: done in $((SECONDS - START)) s"
