# shellcheck shell=bash disable=SC2034  # FETCH_ERROR is read by the scripts that source this
# Downloads Debian packages of another suite (trixie's libtorch, CUDA, NCCL) for the compile checks,
# without touching the system's apt configuration or installed packages: apt runs with a private
# sources list, package lists, cache and an empty dpkg status. Sourced by scripts/check-*.sh.
#
#   debian_update DIR SUITE "COMPONENTS"   fetches the suite's package lists into DIR/apt
#   debian_version DIR PACKAGE             prints a package's version in those lists
#   debian_depends DIR PACKAGE REGEX       its dependencies whose names match REGEX, one a line
#   debian_download DIR PACKAGE...         DIR/debs/*.deb, one per package (no dependencies)
#   debian_clean DIR                       removes DIR/apt and DIR/debs, keeping what was unpacked
#
# debian_update and debian_download return 1 with the reason in FETCH_ERROR when they fail.
# DEBIAN_MIRROR overrides the mirror (default: the one the system's apt sources use, else
# deb.debian.org).

DEBIAN_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

# The Debian mirror the system already uses (deb.debian.org when it uses none, as on Ubuntu).
debian_mirror() {
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

# apt-get/apt-cache options that keep all state under $1/apt.
debian_apt_opts() {
  local apt="$1/apt"
  DEBIAN_APT_OPTS=(
    -o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
    -o "Dir::State::Lists=$apt/lists" -o Dir::State::status=/dev/null
    -o "Dir::Cache=$apt/cache" -o "Dir::Cache::Archives=$apt/archives"
    -o Acquire::Languages=none -o APT::Sandbox::User=root -o Debug::NoLocking=1
  )
}

debian_update() {
  local dir="$1" suite="$2" components="$3" apt="$1/apt" mirror
  FETCH_ERROR=""
  command -v apt-get >/dev/null 2>&1 || { FETCH_ERROR="apt-get is not available"; return 1; }
  command -v dpkg-deb >/dev/null 2>&1 || { FETCH_ERROR="dpkg-deb is not available"; return 1; }
  [ -f "$DEBIAN_KEYRING" ] || { FETCH_ERROR="$DEBIAN_KEYRING is missing (apt-get install debian-archive-keyring)"; return 1; }
  mirror="${DEBIAN_MIRROR:-$(debian_mirror)}"
  rm -rf "$apt" "$dir/debs"
  mkdir -p "$apt/lists/partial" "$apt/archives/partial" "$apt/cache" "$dir/debs"
  echo "deb [signed-by=$DEBIAN_KEYRING] $mirror $suite $components" >"$apt/sources.list"
  debian_apt_opts "$dir"
  if ! apt-get "${DEBIAN_APT_OPTS[@]}" -qq update </dev/null >"$apt/update.log" 2>&1 ||
    ! ls "$apt/lists/"*_Packages* >/dev/null 2>&1; then
    FETCH_ERROR="could not fetch the $suite package lists from $mirror ($(grep -m1 -E '^(E|W):' "$apt/update.log" || echo 'apt-get update failed'))"
    return 1
  fi
}

debian_download() {
  local dir="$1" apt="$1/apt"
  shift
  FETCH_ERROR=""
  debian_apt_opts "$dir"
  if ! (cd "$dir/debs" && apt-get "${DEBIAN_APT_OPTS[@]}" -qq download "$@" </dev/null >"$apt/download.log" 2>&1); then
    FETCH_ERROR="could not download $* ($(grep -m1 -E '^(E|W):' "$apt/download.log" || echo 'apt-get download failed'))"
    return 1
  fi
}

debian_version() {
  debian_apt_opts "$1"
  apt-cache "${DEBIAN_APT_OPTS[@]}" show "$2" 2>/dev/null | sed -nE 's/^Version: //p' | head -n1
}

# Runtime dependencies of a package whose names match an extended regex, one a line.
debian_depends() {
  debian_apt_opts "$1"
  apt-cache "${DEBIAN_APT_OPTS[@]}" depends "$2" 2>/dev/null |
    sed -nE 's/^[[:space:]]*Depends: ([^ <>]+).*/\1/p' | grep -E "$3" || true
}

debian_clean() {
  rm -rf "$1/apt" "$1/debs"
}
