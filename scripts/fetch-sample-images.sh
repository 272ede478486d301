#!/usr/bin/env bash
# Provides the sample photos of Debian's `darknet` package and prints their directory.
#
#   scripts/fetch-sample-images.sh
#
# Uses /usr/share/darknet/data when the darknet package is installed; otherwise downloads the
# .deb with `apt-get download` (works without root; needs the apt package lists), and copies only
# usr/share/darknet/data/*.jpg into $DETSERVE_CACHE_DIR/samples/ (once).
# Photos: dog.jpg person.jpg horses.jpg giraffe.jpg kite.jpg eagle.jpg scream.jpg and others.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) die "unknown argument '$1'" ;;
esac

system_dir=/usr/share/darknet/data
samples="$DETSERVE_CACHE_DIR/samples"
expected=(dog.jpg person.jpg horses.jpg giraffe.jpg kite.jpg eagle.jpg)

if [ -f "$system_dir/dog.jpg" ]; then
  echo "$system_dir"
  exit 0
fi
if [ -f "$samples/dog.jpg" ]; then
  echo "$samples"
  exit 0
fi

{ command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; } \
  || die "apt-get/dpkg-deb not found: install Debian's darknet package data by hand and copy usr/share/darknet/data/*.jpg into $samples/"

if ! apt_has_candidate darknet; then
  if is_root; then
    info "apt has no candidate for darknet: apt-get update"
    apt-get update -qq
  fi
  apt_has_candidate darknet \
    || die "apt has no candidate for the 'darknet' package. Run 'sudo apt-get update' (darknet is in Debian bookworm main) and rerun this script."
fi

tmp="$(mktemp -d)"
stage=""
trap 'rm -rf "$tmp" ${stage:+"$stage"}' EXIT
info "apt-get download darknet (≈3 MB, once) → $samples/"
apt_opts=(-q)
# As root, apt drops to the _apt user, which cannot write into our private temp dir.
if is_root; then apt_opts+=(-o APT::Sandbox::User=root); fi
(cd "$tmp" && apt-get "${apt_opts[@]}" download darknet >&2) || die "apt-get download darknet failed"
deb="$(find "$tmp" -maxdepth 1 -name 'darknet_*.deb' -print -quit)"
[ -n "$deb" ] || die "apt-get download darknet produced no .deb"
dpkg-deb -x "$deb" "$tmp/x"

shopt -s nullglob
jpgs=("$tmp/x/usr/share/darknet/data/"*.jpg)
shopt -u nullglob
[ "${#jpgs[@]}" -gt 0 ] || die "no usr/share/darknet/data/*.jpg in $(basename "$deb")"

# Stage, then rename: an interrupted run never leaves a partial samples directory behind.
mkdir -p "$DETSERVE_CACHE_DIR"
stage="$(mktemp -d "$DETSERVE_CACHE_DIR/.samples.XXXXXX")"
cp "${jpgs[@]}" "$stage/"
chmod 755 "$stage"
chmod 644 "$stage"/*.jpg
for f in "${expected[@]}"; do
  [ -f "$stage/$f" ] || warn "expected sample $f is not in $(basename "$deb")"
done
rm -rf "$samples"
mv "$stage" "$samples"
info "${#jpgs[@]} photos from $(basename "$deb")"

echo "$samples"
