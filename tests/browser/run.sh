#!/usr/bin/env bash
# ctest's browser.web_page: installs puppeteer-core from the lock file when node_modules is not
# current (never a browser: it drives Debian's chromium), then runs web_page.test.mjs.
#
#   tests/browser/run.sh /path/to/detserve
#
# Missing node or chromium fails, naming the Debian package (scripts/install-deps.sh test installs
# both), unless DETSERVE_SKIP_BROWSER=1: then it exits 77, which ctest reports as skipped.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
binary="${1:?usage: $0 /path/to/detserve}"
chromium="${CHROMIUM:-/usr/bin/chromium}"

if [[ "${DETSERVE_SKIP_BROWSER:-0}" == 1 ]]; then
  echo "DETSERVE_SKIP_BROWSER=1: skipping the browser test"
  exit 77
fi
missing=()
command -v node >/dev/null 2>&1 || missing+=("node (apt-get install nodejs)")
command -v npm >/dev/null 2>&1 || missing+=("npm (apt-get install npm)")
[[ -x "$chromium" ]] || missing+=("$chromium (apt-get install chromium)")
if ((${#missing[@]})); then
  echo "browser test: missing ${missing[*]}; scripts/install-deps.sh test installs them" \
       "(or set DETSERVE_SKIP_BROWSER=1 to skip this test)" >&2
  exit 1
fi

# The screenshot lands in the directory ctest runs the test in (the build tree), not in the sources.
export DETSERVE_SCREENSHOT="${DETSERVE_SCREENSHOT:-$PWD/web-page.png}"
cd "$here"
# npm ci rewrites node_modules/.package-lock.json; when it is newer than the lock file and
# puppeteer-core is there, the install is current and nothing needs the network.
if [[ ! -d node_modules/puppeteer-core || ! node_modules/.package-lock.json -nt package-lock.json ]]; then
  echo "npm ci in $here (puppeteer-core only; PUPPETEER_SKIP_DOWNLOAD=1: no browser download)"
  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --prefer-offline --no-audit --no-fund --loglevel=error
fi

exec node web_page.test.mjs "$binary"
