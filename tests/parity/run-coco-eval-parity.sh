#!/usr/bin/env bash
# Runs coco_eval_parity.py with the venv's Python, where scripts/install-deps.sh test puts
# pycocotools (a missing venv is a failure that says so, not a skip). Arguments go to the script.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/common.sh"
python="$DETSERVE_VENV/bin/python"
[ -x "$python" ] || die "$DETSERVE_VENV has no Python: run scripts/install-deps.sh test"
"$python" -c 'import pycocotools' 2>/dev/null || die "pycocotools is not installed in $DETSERVE_VENV: run scripts/install-deps.sh test"
exec "$python" "$(dirname "${BASH_SOURCE[0]}")/coco_eval_parity.py" --source-dir "$DETSERVE_ROOT" "$@"
