# shellcheck shell=bash
# Shared helpers for detserve's scripts. Source it; do not run it.
#
# Conventions: progress and errors go to stderr, the one result a script produces (a path, JSON)
# goes to stdout, so that `dir=$(scripts/fetch-sample-images.sh)` works.
#
# Environment (all optional):
#   BUILD_DIR           build directory            (default: <repo>/build)
#   DETSERVE_CACHE_DIR  downloads and extractions  (default: $HOME/.cache/detserve)
#   DETSERVE_OPENVINO   ON|OFF: install (install-deps.sh) and build with (build.sh) the OpenVINO
#                       runtime (default ON; OFF builds the OpenCV engine only)

DETSERVE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
BUILD_DIR="${BUILD_DIR:-$DETSERVE_ROOT/build}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$PWD/$BUILD_DIR" ;; esac
if [ -z "${DETSERVE_CACHE_DIR:-}" ]; then
  _home="${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}"
  [ -n "$_home" ] || { echo "error: neither DETSERVE_CACHE_DIR nor HOME is set" >&2; exit 1; }
  DETSERVE_CACHE_DIR="$_home/.cache/detserve"
  unset _home
fi
# shellcheck disable=SC2034  # used by the scripts that source this file
DETSERVE_BIN="$BUILD_DIR/detserve"
# shellcheck disable=SC2034
DETSERVE_DEFAULT_MODEL="$DETSERVE_ROOT/models/nanodet/nanodet.xml"
# The one Python venv of the project's pip packages: the openvino wheel whose runtime the product
# builds against and loads (scripts/build.sh, CMakeLists.txt), and the tests' and tools' reference
# runtimes (pycocotools), never Debian's /usr/bin/python3 nor pyenv's. Created by
# ensure_venv_packages (install-deps.sh).
DETSERVE_VENV="$DETSERVE_CACHE_DIR/venv"
DETSERVE_OPENVINO="${DETSERVE_OPENVINO:-ON}"
# ../shared (read-only, beside the checkout; a fresh clone elsewhere has none) and its dev set of
# labelled COCO photos, for the accuracy scripts and tests. DETSERVE_SHARED_DIR points elsewhere.
DETSERVE_SHARED_DIR="${DETSERVE_SHARED_DIR:-$DETSERVE_ROOT/../shared}"
DETSERVE_DEV_SET="$DETSERVE_SHARED_DIR/images/coco128-train"
export BUILD_DIR DETSERVE_CACHE_DIR DETSERVE_OPENVINO

# ccache, when installed, for every build (normal, sanitized, fuzz): keyed on paths relative to
# the repository (CCACHE_BASEDIR) and not on the build directory (-g puts it in the objects; the
# *_NOHASHDIR), so a second clone or a CI checkout elsewhere reuses the objects of the first.
# cmake_launcher_args prints the -D option for cmake (nothing without ccache).
if command -v ccache >/dev/null 2>&1; then
  export CCACHE_BASEDIR="$DETSERVE_ROOT" CCACHE_NOHASHDIR=1
fi
cmake_launcher_args() { command -v ccache >/dev/null 2>&1 && echo "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"; true; }

# Seconds since the top-level script started (inherited by the scripts it calls).
: "${DETSERVE_T0:=$(date +%s)}"
export DETSERVE_T0

elapsed() { echo $(( $(date +%s) - DETSERVE_T0 )); }

# `==> name` header with the elapsed seconds, for the steps of run.sh / test.sh.
step() { printf '==> %s  [%ss]\n' "$*" "$(elapsed)" >&2; }

info() { printf '    %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Prints the packages among "$@" that dpkg does not report as installed (one dpkg-query call).
missing_pkgs() {
  local installed
  installed="$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null \
               | awk '$NF == "installed" && $(NF-1) == "ok" { print $1 }')" || true
  local p
  for p in "$@"; do
    grep -qxF -- "$p" <<<"$installed" || printf '%s\n' "$p"
  done
}

# True when `apt-cache policy PKG` shows an installable candidate.
apt_has_candidate() {
  local c
  c="$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
  [ -n "$c" ] && [ "$c" != "(none)" ]
}

# True when file $1 exists and is newer than every existing file among the rest.
newer_than_all() {
  local target="$1" f; shift
  [ -e "$target" ] || return 1
  for f in "$@"; do
    [ -e "$f" ] || continue
    [ "$target" -nt "$f" ] || return 1
  done
}

# ensure_venv_packages NAME==VERSION...: creates $DETSERVE_VENV with the python3 on PATH when it
# does not exist, then pip-installs the pinned packages it lacks (none lacking: no pip call).
ensure_venv_packages() {
  local python="$DETSERVE_VENV/bin/python"
  if [ ! -x "$python" ]; then
    info "creating the Python venv $DETSERVE_VENV"
    python3 -m venv "$DETSERVE_VENV" || die "python3 -m venv $DETSERVE_VENV failed (Debian: apt-get install python3-venv)"
  fi
  local missing
  mapfile -t missing < <("$python" - "$@" <<'PY'
import sys
from importlib import metadata
for pin in sys.argv[1:]:
    name, _, version = pin.partition("==")
    try:
        if metadata.version(name) == version:
            continue
    except metadata.PackageNotFoundError:
        pass
    print(pin)
PY
)
  [ "${#missing[@]}" -eq 0 ] && return 0
  info "pip install into $DETSERVE_VENV: ${missing[*]}"
  "$python" -m pip install --quiet --disable-pip-version-check "${missing[@]}" \
    || die "pip install ${missing[*]} into $DETSERVE_VENV failed"
}

# The OpenVINO CMake config directory of the venv's `openvino` wheel; empty when it is not installed.
openvino_cmake_dir() {
  [ -x "$DETSERVE_VENV/bin/python" ] || return 0
  "$DETSERVE_VENV/bin/python" -c 'import openvino.utils as u; print(u.get_cmake_path())' 2>/dev/null || true
}

# Sets OPENVINO_CMAKE_ARGS (the -D options that build, or do not build, the OpenVINO engine, as
# DETSERVE_OPENVINO and the venv's wheel say) and OPENVINO_SHOWN (what they chose, for a log line).
# Every build of the product uses it: scripts/build.sh and the sanitized builds of scripts/test.sh.
openvino_cmake_options() {
  OPENVINO_CMAKE_ARGS=(-DDETSERVE_WITH_OPENVINO=OFF)
  OPENVINO_SHOWN="OFF"
  [ "$DETSERVE_OPENVINO" != OFF ] || return 0
  local ov_dir
  ov_dir="$(openvino_cmake_dir)"
  if [ -n "$ov_dir" ]; then
    OPENVINO_CMAKE_ARGS=(-DDETSERVE_WITH_OPENVINO=ON -DOpenVINO_DIR="$ov_dir")
    OPENVINO_SHOWN="$ov_dir"
  else
    OPENVINO_SHOWN="not installed (scripts/install-deps.sh installs it)"
  fi
}

# For the bench/ scripts that write a table into the docs: sets `out` (--out DIR, default
# bench/results) and `docs` (0 with --no-docs); dies on anything else, naming the script.
parse_table_options() {
  out="$DETSERVE_ROOT/bench/results"
  docs=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --out) [ $# -ge 2 ] || die "--out needs a directory"; out="$2"; shift 2 ;;
      --no-docs) docs=0; shift ;;
      *) die "unknown option $1 (see the header of $0)" ;;
    esac
  done
}

# For the bench/ scripts that run `detserve eval` on the dev set: dies naming what is missing.
require_binary_and_dev_set() {
  [ -d "$DETSERVE_DEV_SET/images" ] || die "$DETSERVE_DEV_SET not found: the dev set is in ../shared (or set DETSERVE_SHARED_DIR)"
  [ -x "$DETSERVE_BIN" ] || die "$DETSERVE_BIN not built: run scripts/build.sh"
}
