#!/usr/bin/env bash
# Installs what is missing, builds, fetches the default model and the sample photos, runs ctest.
#
#   scripts/test.sh [extra ctest arguments…]     e.g. scripts/test.sh -L unit
#
# Exit code: ctest's. The tests read (exported here):
#   DETSERVE_MODEL        <repo>/models/nanodet/nanodet.xml (the converted default model)
#   DETSERVE_SAMPLES_DIR  directory with darknet's dog.jpg, person.jpg, giraffe.jpg, …
#   DETSERVE_CACHE_DIR    cache of downloads (npm tarball, TFJS model, samples)
#   DETSERVE_SOURCE_DIR   the repository root
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$DETSERVE_ROOT"

step "install-deps test"
bash scripts/install-deps.sh test

step "build"
DETSERVE_BUILD_TESTS=ON bash scripts/build.sh >/dev/null

step "fetch-default-model"
DETSERVE_MODEL="$(bash scripts/fetch-default-model.sh)"

step "fetch-sample-images"
DETSERVE_SAMPLES_DIR="$(bash scripts/fetch-sample-images.sh)"

DETSERVE_SOURCE_DIR="$DETSERVE_ROOT"
export DETSERVE_MODEL DETSERVE_SAMPLES_DIR DETSERVE_SOURCE_DIR

step "ctest ($BUILD_DIR; model $DETSERVE_MODEL; samples $DETSERVE_SAMPLES_DIR)"
exec ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j2 --timeout 900 "$@"
