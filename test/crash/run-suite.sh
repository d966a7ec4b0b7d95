#!/usr/bin/env bash
# npm run test:crash — issue 16's property: a run killed with SIGKILL at EVERY one of its writes, then
# rolled back, resumed, and resumed then rolled back, against the fake Duo. Minutes, not seconds:
# apart from `npm test`; CI runs it and fails if a test was skipped or none ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
results=$(mktemp)
trap 'rm -f "$results"' EXIT
DUO_BRIDGE_CRASH_SUITE=1 node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand \
  --json --outputFile="$results" test/crash "$@"
node test/summarize.mjs crash-suite "$results" --no-skips
