#!/usr/bin/env bash
# npm run demo: the whole pipeline on the bundled samples, no servers needed.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/duo-bridge-demo.XXXXXX")
trap 'rm -rf "$out"' EXIT
bridge() { echo; echo "\$ duo-bridge $*"; node bin/duo-bridge "$@"; echo "(exit $?)"; }

bridge validate samples/users-clean.csv
bridge validate samples/users-messy.csv --max-shown 3 --report "$out/findings.csv"
echo "findings written for a spreadsheet: $(($(wc -l < "$out/findings.csv") - 1)) rows"
bridge validate samples/users-excel-semicolon.csv
