#!/usr/bin/env bash
# ctest's pre- and post-test step in a sanitized build (CTestCustom.cmake, written by CMakeLists.txt
# when DETSERVE_SANITIZE is set). scripts/test.sh points the sanitizers' log_path at DIR, so that a
# report from any process — a test, or a `detserve serve` started by one — lands there.
#
#   check-reports.sh --clear DIR   creates DIR, empty (before the tests)
#   check-reports.sh DIR           prints every report in DIR; exit 1 if there is one (after them)
set -euo pipefail

MAX_LINES_PER_REPORT=120

if [ "${1:-}" = --clear ]; then
  rm -rf "$2"
  mkdir -p "$2"
  exit 0
fi
dir="$1"
[ -d "$dir" ] || exit 0
mapfile -t reports < <(find "$dir" -type f | sort)
[ "${#reports[@]}" -gt 0 ] || exit 0

{
  echo
  echo "Sanitizer reports: ${#reports[@]} in $dir"
  for report in "${reports[@]}"; do
    echo "=== ${report#"$dir"/} ($(wc -l <"$report") lines)"
    head -n "$MAX_LINES_PER_REPORT" "$report"
  done
  echo "Sanitizer reports: ${#reports[@]} (above; files in $dir)"
} >&2
exit 1
