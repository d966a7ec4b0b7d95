#!/usr/bin/env bash
# npm run test:office — the spreadsheet round trips through a real spreadsheet program (LibreOffice,
# headless). Installs libreoffice-calc-nogui from Debian when missing (needs root), runs
# test/office/*.test.ts, and fails if any test was skipped or none ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v soffice >/dev/null; then
  echo "installing LibreOffice Calc (headless) from Debian" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null
fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT
DUO_BRIDGE_OFFICE_SUITE=1 node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand \
  --json --outputFile="$results" test/office "$@"
node test/summarize.mjs office-suite "$results" --no-skips
