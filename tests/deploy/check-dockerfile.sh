#!/usr/bin/env bash
# Keeps the Dockerfile from drifting, without a Docker engine (ctest: deploy.dockerfile).
#
#   tests/deploy/check-dockerfile.sh [--dockerfile FILE] [BINARY]     (default: build/detserve)
#
# Checks, each failure naming the library, package or Dockerfile line:
#   1. stages: a build and a runtime stage, both FROM debian:bookworm-slim;
#   2. the build stage RUNs the scripts CI runs (scripts/test.sh): install-deps.sh, build.sh,
#      fetch-default-model.sh;
#   3. the runtime stage's `apt-get install` list: every name has an installable candidate
#      (`apt-cache show`);
#   4. every shared library `ldd BINARY` resolves belongs (`dpkg -S`) to a package that the list
#      installs: the libraries the binary itself links (ELF NEEDED) to a package named in the list,
#      the libraries those pull in to a package in the list's dependency closure
#      (`apt-cache depends --recurse`); the C/C++ runtime may come from bookworm-slim itself
#      (BASE_PKGS below);
#   5. no package in the list is unused: each owns a library of the binary, or is a tool the image
#      uses (TOOL_PKGS below);
#   5b. a binary built with OpenVINO: the runtime stage COPYs from the build stage into
#      /usr/local/lib/detserve/ (its RPATH entry $ORIGIN/../lib/detserve) exactly the OpenVINO
#      libraries it loads: those `ldd` resolves in the wheel's directory, those the loader
#      initialises (LD_DEBUG=files) while `detserve info` compiles the default model (plugins, the
#      IR frontend, what oneTBB opens), and the frontends of the other formats it reads
#      (OPENVINO_FRONTENDS below) with their dependencies;
#   6. the runtime stage copies the binary, web/, config/ and models/ from the build stage, runs as
#      a non-root USER, EXPOSEs 8080, has a HEALTHCHECK on /healthz and STOPSIGNAL SIGTERM.
#
# Needs a Debian bookworm host with apt package lists (apt-get update) and the binary built there,
# which is what CI is. Exit status: 0 all checks pass, 1 a check failed, 2 usage error.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"

# In debian:bookworm-slim already, so the Dockerfile need not name them: the C and C++ runtime
# (libc6 also holds libm and the dynamic loader). They are Priority: required there because apt
# itself links them; every C++ binary of Debian links them too.
BASE_PKGS=(libc6 libgcc-s1 libstdc++6)
# Packages in the runtime list that own no library of the binary, on purpose.
TOOL_PKGS=(curl)   # the HEALTHCHECK's `curl -fsS …/healthz`
# OpenVINO frontends the binary loads for formats the default model is not (it is IR): ONNX.
OPENVINO_FRONTENDS=(libopenvino_onnx_frontend)
# Where the runtime stage puts the OpenVINO libraries, and the binary's RPATH entry for them.
OPENVINO_DEST=/usr/local/lib/detserve
OPENVINO_RPATH='$ORIGIN/../lib/detserve'
# What the build stage must run: the scripts CI runs (scripts/test.sh, from .ci/run).
CI_SCRIPTS=(scripts/install-deps.sh scripts/build.sh scripts/fetch-default-model.sh)

dockerfile="$DETSERVE_ROOT/Dockerfile"
binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dockerfile) [ $# -ge 2 ] || { echo "error: --dockerfile needs a file" >&2; exit 2; }
                  dockerfile="$2"; shift 2 ;;
    -h|--help) sed -n '2,29s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "error: unknown option '$1'" >&2; exit 2 ;;
    *) [ -z "$binary" ] || { echo "error: one binary only (got '$binary' and '$1')" >&2; exit 2; }
       binary="$1"; shift ;;
  esac
done
binary="${binary:-$DETSERVE_BIN}"
[ -f "$dockerfile" ] || { echo "error: no Dockerfile at $dockerfile" >&2; exit 2; }
[ -x "$binary" ] || { echo "error: $binary is not an executable (build it: scripts/build.sh)" >&2; exit 2; }
for tool in ldd dpkg dpkg-query apt-cache readelf; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (this check needs a Debian host with binutils)"
done
apt_has_candidate libc6 \
  || die "apt has no package lists (apt-cache policy libc6 shows no candidate): run 'apt-get update'"

failures=()
fail() { failures+=("$*"); printf '    FAIL %s\n' "$*" >&2; }
df_name="${dockerfile#"$DETSERVE_ROOT"/}"

# --- parse: one logical instruction per line -------------------------------------------------------
# "<first line number>\t<stage index>\t<stage name or ->\t<INSTRUCTION>\t<arguments>", continuation
# lines joined and comment lines dropped (as Docker does). No field is empty: `read` with IFS=tab
# would merge two tabs.
parsed="$(awk '
  function flush() {
    if (text == "") return
    split(text, w, /[ \t]+/)
    instr = toupper(w[1]); args = substr(text, length(w[1]) + 2)
    if (instr == "FROM") { stage++; name = ""; if (match(args, /[ \t][Aa][Ss][ \t]+[^ \t]+/)) { n = split(substr(args, RSTART), a, /[ \t]+/); name = a[n] } }
    printf "%d\t%d\t%s\t%s\t%s\n", start, stage, (name == "" ? "-" : name), instr, args
    text = ""
  }
  BEGIN { stage = -1 }
  /^[ \t]*#/ { next }
  /^[ \t]*$/ { next }
  {
    line = $0; sub(/^[ \t]+/, "", line)
    if (text == "") start = NR
    cont = sub(/[ \t]*\\[ \t]*$/, "", line)
    text = (text == "" ? line : text " " line)
    if (!cont) flush()
  }
  END { flush() }
' "$dockerfile")"

stages="$(awk -F'\t' '$4 == "FROM" { print $2 }' <<<"$parsed" | wc -l)"
in_stage() { awk -F'\t' -v s="$1" '$2 == s' <<<"$parsed"; }
last_stage=$(( stages - 1 ))

# --- 1. stages ---------------------------------------------------------------------------------
step "Dockerfile stages ($df_name)"
if [ "$stages" -lt 2 ]; then
  fail "$df_name: expected a build stage and a runtime stage, found $stages FROM line(s)"
  last_stage=0
fi
while IFS=$'\t' read -r line _ name _ args; do
  image="${args%%[[:space:]]*}"
  [ "$name" = - ] && name=""
  info "line $line: FROM $image${name:+ AS $name}"
  [ "$image" = "debian:bookworm-slim" ] || fail "$df_name:$line: FROM $image, expected debian:bookworm-slim"
done < <(awk -F'\t' '$4 == "FROM"' <<<"$parsed")
build_name="$(awk -F'\t' '$4 == "FROM" && $2 == 0 && $3 != "-" { print $3 }' <<<"$parsed")"
runtime="$(in_stage "$last_stage")"
build="$(in_stage 0)"

# --- 2. the build stage runs CI's scripts -------------------------------------------------------
step "build stage runs the scripts CI runs"
build_runs="$(awk -F'\t' '$4 == "RUN" { print $5 }' <<<"$build")"
for s in "${CI_SCRIPTS[@]}"; do
  grep -qF "$s" "$DETSERVE_ROOT/scripts/test.sh" \
    || fail "scripts/test.sh (CI) no longer runs $s: update CI_SCRIPTS in $0"
  if grep -qE "(^|[ /\"])$s([ ;&|\"]|$)" <<<"$build_runs"; then
    info "RUN … $s"
  else
    fail "$df_name: the build stage never RUNs $s (CI runs it; the image must be built the same way)"
  fi
done

# --- 3. the runtime package list ------------------------------------------------------------------
step "runtime stage packages"
install_line=""
runtime_pkgs=()
while IFS=$'\t' read -r line _ _ _ args; do
  # The words after `apt-get install`, up to the end of that command (&&, ;, |).
  rest="$(sed -nE 's/.*apt-get[[:space:]]+(-[^[:space:]]+[[:space:]]+)*install[[:space:]]+//p' <<<"$args")"
  [ -n "$rest" ] || continue
  install_line="$line"
  rest="${rest%%&&*}"; rest="${rest%%;*}"; rest="${rest%%|*}"
  read -ra words <<<"$rest"
  for word in "${words[@]}"; do
    case "$word" in
      -*) ;;                                   # options: -y, --no-install-recommends
      *'$'*) fail "$df_name:$line: '$word' is a variable; list the packages literally so that they can be checked" ;;
      *) runtime_pkgs+=("${word%%=*}") ;;      # drop a version pin: pkg=1.2-3
    esac
  done
done < <(awk -F'\t' '$4 == "RUN"' <<<"$runtime")
if [ -z "$install_line" ]; then
  fail "$df_name: the runtime stage has no 'apt-get install' (the binary's libraries must come from Debian packages)"
else
  info "line $install_line: ${runtime_pkgs[*]}"
fi
for p in "${runtime_pkgs[@]}"; do
  apt-cache show "$p" >/dev/null 2>&1 \
    || fail "$df_name:$install_line: package '$p' is not installable here (apt-cache show $p fails: misspelt, virtual, or not in bookworm)"
done

# Every package `apt-get install <list>` brings in (hard dependencies only: the Dockerfile installs
# with --no-install-recommends). Alternatives (a | b) are all included: any of them may be the
# one apt picks.
closure=()
if [ "${#runtime_pkgs[@]}" -gt 0 ]; then
  mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
                           --no-breaks --no-replaces --no-enhances "${runtime_pkgs[@]}" 2>/dev/null \
                         | grep -v '^[[:space:]<]' | sed 's/:.*//' | sort -u)
fi
info "with their dependencies: ${#closure[@]} packages"

declare -A listed=() in_closure=()
for p in "${runtime_pkgs[@]}" "${BASE_PKGS[@]}"; do listed["$p"]=1; done
for p in "${closure[@]}"; do in_closure["$p"]=1; done

in_list() {   # in_list WORD LIST…
  local w="$1" x; shift
  for x in "$@"; do [ "$x" = "$w" ] && return 0; done
  return 1
}

# --- 4. every library of the binary belongs to an installed package --------------------------------
step "shared libraries of ${binary#"$DETSERVE_ROOT"/} (ldd) → packages (dpkg -S)"
ldd_out="$(ldd "$binary" 2>&1)" || die "ldd $binary failed: $ldd_out"
mapfile -t needed < <(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')

# "soname<TAB>path" for every library the loader resolves (linux-vdso is the kernel's).
libs=()
while read -r l; do
  case "$l" in
    *"not found"*) fail "ldd: ${l%% *} not found on this machine (install its package, then rebuild)"; continue ;;
    linux-vdso*|"") continue ;;
    *" => "*) soname="${l%% => *}"; path="${l#* => }"; path="${path%% (*}" ;;
    /*) path="${l%% (*}"; soname="$(basename "$path")" ;;
    *) continue ;;
  esac
  libs+=("$soname"$'\t'"$path")
done <<<"$ldd_out"

# Paths to ask dpkg about: the path ldd printed and the file it resolves to, each also under the
# other name merged /usr gives it (/lib ↔ /usr/lib, /lib64 ↔ /usr/lib64): bookworm's packages
# record some libraries under /lib (libc6) and most under /usr/lib, while ldd prints either.
candidates() {
  local p
  for p in "$1" "$(readlink -f "$1")"; do
    echo "$p"
    case "$p" in
      /usr/lib/*|/usr/lib64/*) echo "${p#/usr}" ;;
      /lib/*|/lib64/*) echo "/usr$p" ;;
    esac
  done | awk '!seen[$0]++'
}
declare -A owner=()   # path → "pkg pkg…" (arch qualifiers dropped)
mapfile -t all_candidates < <(for entry in "${libs[@]}"; do candidates "${entry#*$'\t'}"; done | sort -u)
while IFS= read -r l; do
  case "$l" in diversion*) continue ;; esac
  pkgs="${l%%: /*}"; path="/${l#*: /}"
  pkgs="$(tr ',' ' ' <<<"$pkgs" | sed -E 's/:[a-z0-9_-]+//g')"
  owner["$path"]="$(xargs <<<"$pkgs")"
done < <(dpkg -S "${all_candidates[@]}" 2>/dev/null || true)

# The OpenVINO wheel's directory, when the binary links libopenvino: its libraries are copied from
# the build stage (5b), not installed by apt.
openvino_dir=""
for entry in "${libs[@]}"; do
  case "${entry%%$'\t'*}" in libopenvino.so.*) openvino_dir="$(dirname "${entry#*$'\t'}")" ;; esac
done
declare -A openvino_libs=()   # basename → why it is needed

declare -A used_pkg=()
checked=0
for entry in "${libs[@]}"; do
  soname="${entry%%$'\t'*}"; path="${entry#*$'\t'}"
  if [ -n "$openvino_dir" ] && [ "$(dirname "$path")" = "$openvino_dir" ]; then
    openvino_libs["$(basename "$path")"]="ldd"
    checked=$((checked + 1))
    continue
  fi
  pkgs=""
  while read -r c; do
    [ -n "${owner[$c]:-}" ] && { pkgs="${owner[$c]}"; break; }
  done < <(candidates "$path")
  checked=$((checked + 1))
  if [ -z "$pkgs" ]; then
    fail "$soname ($path): no Debian package owns it (dpkg -S); the image cannot get it from apt"
    continue
  fi
  direct=0
  in_list "$soname" "${needed[@]}" && direct=1
  ok=""
  for p in $pkgs; do
    used_pkg["$p"]=1
    if [ -n "${listed[$p]:-}" ]; then ok="$p"; break; fi
    if [ "$direct" = 0 ] && [ -n "${in_closure[$p]:-}" ]; then ok="$p (dependency)"; break; fi
  done
  if [ -n "$ok" ]; then
    [ "$direct" = 1 ] && info "$soname → $ok"
  elif [ "$direct" = 1 ]; then
    fail "$soname ($path, linked by the binary): its package '$pkgs' is not in the runtime stage's apt-get install list ($df_name:${install_line:-?})"
  else
    fail "$soname ($path): its package '$pkgs' is neither in the runtime stage's apt-get install list ($df_name:${install_line:-?}) nor a dependency of one of them"
  fi
done
info "$checked libraries checked (${#needed[@]} linked directly, the rest pulled in by those)"

# --- 5. nothing unused ----------------------------------------------------------------------------
step "every runtime package is needed"
for p in "${runtime_pkgs[@]}"; do
  if [ -n "${used_pkg[$p]:-}" ]; then continue; fi
  if in_list "$p" "${TOOL_PKGS[@]}"; then info "$p: a tool the image uses (TOOL_PKGS)"; continue; fi
  fail "$df_name:${install_line:-?}: package '$p' owns no library of the binary: drop it, or add it to TOOL_PKGS in $0 saying why"
done

# --- 5b. the OpenVINO libraries -------------------------------------------------------------------
step "OpenVINO libraries copied into $OPENVINO_DEST"
if [ -z "$openvino_dir" ]; then
  info "the binary does not link libopenvino (built without OpenVINO): nothing to check"
else
  info "the wheel's directory: $openvino_dir"
  readelf -d "$binary" | grep -E '\((RPATH|RUNPATH)\)' | grep -qF "$OPENVINO_RPATH" \
    || fail "the binary's RPATH lacks $OPENVINO_RPATH: in the image it would not find the OpenVINO libraries (CMakeLists.txt sets it)"
  model="${DETSERVE_MODEL:-$DETSERVE_DEFAULT_MODEL}"
  if [ ! -f "$model" ]; then
    fail "$model not found: the check runs 'detserve info' on the default model (scripts/fetch-default-model.sh, or set DETSERVE_MODEL)"
  else
    ld_debug="$(LD_DEBUG=files "$binary" info --model "$model" 2>&1 >/dev/null)" \
      || fail "detserve info --model $model failed: $(grep -v '^ *[0-9]*:' <<<"$ld_debug" | tail -3)"
    while read -r path; do
      [ "$(dirname "$path")" = "$openvino_dir" ] && : "${openvino_libs["$(basename "$path")"]:="loaded by 'detserve info'"}"
    done < <(sed -n 's/.*calling init: //p' <<<"$ld_debug")
  fi
  for frontend in "${OPENVINO_FRONTENDS[@]}"; do
    found=("$openvino_dir/$frontend".so*)
    if [ ! -e "${found[0]}" ]; then fail "$openvino_dir has no $frontend.so*"; continue; fi
    openvino_libs["$(basename "${found[0]}")"]="OPENVINO_FRONTENDS"
    while read -r dep; do
      [ "$(dirname "$dep")" = "$openvino_dir" ] && : "${openvino_libs["$(basename "$dep")"]:="needed by $frontend"}"
    done < <(ldd "${found[0]}" | sed -n 's/.* => \(\/[^ ]*\) (.*/\1/p')
  done

  # The runtime stage's COPY --from=<build> sources whose destination is OPENVINO_DEST, with the
  # stage's ARG defaults expanded.
  declare -A stage_args=() copied=()
  while IFS=$'\t' read -r _ _ _ instr rest; do
    if [ "$instr" = ARG ] && [[ "$rest" == *=* ]]; then stage_args["${rest%%=*}"]="${rest#*=}"; continue; fi
    [ "$instr" = COPY ] || continue
    read -ra words <<<"$rest"
    sources=()
    for w in "${words[@]}"; do [[ "$w" == --* ]] || sources+=("$w"); done
    [ "${#sources[@]}" -ge 2 ] || continue
    dest="${sources[-1]}"; unset 'sources[-1]'
    [ "${dest%/}" = "$OPENVINO_DEST" ] || continue
    for src in "${sources[@]}"; do
      for name in "${!stage_args[@]}"; do
        src="${src//\$\{$name\}/${stage_args[$name]}}"; src="${src//\$$name/${stage_args[$name]}}"
      done
      copied["$(basename "$src")"]=1
    done
  done <<<"$runtime"
  for lib in $(printf '%s\n' "${!openvino_libs[@]}" | sort); do
    if [ -n "${copied[$lib]:-}" ]; then info "$lib (${openvino_libs[$lib]})"
    else fail "$lib (${openvino_libs[$lib]}): the runtime stage does not COPY it into $OPENVINO_DEST/ ($df_name)"; fi
  done
  for lib in $(printf '%s\n' "${!copied[@]}" | sort); do
    [ -n "${openvino_libs[$lib]:-}" ] \
      || fail "$df_name: the runtime stage copies $lib into $OPENVINO_DEST/, which the binary never loads: drop it"
  done
fi

# --- 6. what the runtime stage holds and how it runs -----------------------------------------------
step "runtime stage: files, user, port, health check, stop signal"
last_of() { awk -F'\t' -v i="$1" '$4 == i { l = $1 "\t" $5 } END { if (l != "") print l }' <<<"$runtime"; }

copies="$(awk -F'\t' '$4 == "COPY" && $5 ~ /--from=/ { print $1 "\t" $5 }' <<<"$runtime")"
for src in build/detserve web config models; do
  hit="$(awk -F'\t' -v s="$src" -v b="$build_name" '{
      n = split($2, w, /[ \t]+/); from = ""
      for (i = 1; i <= n; i++) if (w[i] ~ /^--from=/) from = substr(w[i], 8)
      for (i = 1; i < n; i++) if (w[i] !~ /^--/ && (w[i] ~ "/" s "/?$")) { if (b == "" || from == b || from == "0") { print $1; exit } }
    }' <<<"$copies")"
  if [ -n "$hit" ]; then info "line $hit: COPY --from=${build_name:-0} …/$src"
  else fail "$df_name: the runtime stage does not COPY --from=${build_name:-<build stage>} …/$src"; fi
done

IFS=$'\t' read -r line user < <(last_of USER) || true
user="${user:-}"
uid="${user%%:*}"
case "$uid" in
  "") fail "$df_name: the runtime stage has no USER: it would run as root" ;;
  root|0) fail "$df_name:$line: USER $user: the service would run as root" ;;
  *) info "line $line: USER $user" ;;
esac

if awk -F'\t' '$4 == "EXPOSE" { print $5 }' <<<"$runtime" | tr ' ' '\n' | grep -qxE '8080(/tcp)?'; then
  info "EXPOSE 8080"
else
  fail "$df_name: the runtime stage does not EXPOSE 8080"
fi

IFS=$'\t' read -r line health < <(last_of HEALTHCHECK) || true
health="${health:-}"
if [ -z "$health" ]; then fail "$df_name: the runtime stage has no HEALTHCHECK"
elif [[ "$health" == NONE* ]]; then fail "$df_name:$line: HEALTHCHECK NONE"
elif [[ "$health" != *"/healthz"* ]]; then fail "$df_name:$line: the HEALTHCHECK does not ask /healthz: $health"
else info "line $line: HEALTHCHECK … /healthz"; fi

IFS=$'\t' read -r line signal < <(last_of STOPSIGNAL) || true
case "${signal:-}" in
  SIGTERM|15) info "line $line: STOPSIGNAL $signal" ;;
  "") fail "$df_name: the runtime stage has no STOPSIGNAL SIGTERM" ;;
  *) fail "$df_name:$line: STOPSIGNAL $signal, expected SIGTERM (the signal detserve drains on)" ;;
esac

if [ "${#failures[@]}" -gt 0 ]; then
  printf '\n%s: %d check(s) failed:\n' "$df_name" "${#failures[@]}" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
step "ok: $df_name matches the binary's ${checked} shared libraries and the scripts CI runs"
