#!/usr/bin/env bash
# Installs what is missing, builds, fetches the default model and the sample photos, then serves
# the default model on http://0.0.0.0:8080 (`detserve serve`). Extra arguments go to `serve`
# (e.g. scripts/run.sh --port 9000 --streams 1; every setting: docs/configuration.md).
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

step "serve (Ctrl-C to stop)"
port="${DETSERVE_PORT:-8080}"
info "try:  curl -F image=@$samples/dog.jpg http://localhost:$port/v1/detect"
info "      curl http://localhost:$port/metrics"
exec "$DETSERVE_BIN" serve "$@"
