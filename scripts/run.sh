#!/usr/bin/env bash
# Installs what is missing, builds, fetches the default model and the sample photos, then runs
# detserve. Until the HTTP server exists it runs `detserve detect` on darknet's dog.jpg and prints
# the JSON; extra arguments are passed to detserve (e.g. scripts/run.sh --target opencl).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$DETSERVE_ROOT"   # the default model path models/nanodet/nanodet.xml is relative to here

step "install-deps run"
bash scripts/install-deps.sh run

step "build"
bash scripts/build.sh >/dev/null

step "fetch-default-model"
bash scripts/fetch-default-model.sh >/dev/null

step "fetch-sample-images"
samples="$(bash scripts/fetch-sample-images.sh)"

# ==== the service ================================================================================
# When `detserve serve` exists, replace the two commands below with:
#   step "serve"
#   exec "$DETSERVE_BIN" serve "$@"
step "detect $samples/dog.jpg (the HTTP service comes next)"
exec "$DETSERVE_BIN" detect "$samples/dog.jpg" "$@"
# =================================================================================================
