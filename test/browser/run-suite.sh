#!/usr/bin/env bash
# npm run test:browser — the HTML reports opened in a real browser: Debian's Chromium, headless,
# driven by puppeteer-core (which never downloads one). Installs chromium from Debian when missing
# (needs root), runs test/browser/*.test.ts, and fails if any test was skipped or none ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${CHROMIUM_PATH:-}" ] && ! [ -x /usr/bin/chromium ]; then
  echo "installing Chromium from Debian" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT
DUO_BRIDGE_BROWSER_SUITE=1 node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand \
  --json --outputFile="$results" test/browser "$@"
node test/summarize.mjs browser-suite "$results" --no-skips
