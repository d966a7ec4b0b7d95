#!/usr/bin/env bash
# npm run test:churn — issue 26's proof at length: sync run day after day, in process, over generated
# histories of AD and Duo churn (bad days, kills and resumes, approvals, rollbacks), every invariant
# checked after every run, for DUO_BRIDGE_CHURN_DAYS simulated days (default 20,000: about 10 minutes).
# `npm test` runs the same test for a few hundred days. Fails if the test was skipped or none ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
results=$(mktemp)
trap 'rm -f "$results"' EXIT
DUO_BRIDGE_CHURN_DAYS="${DUO_BRIDGE_CHURN_DAYS:-20000}" node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand \
  --json --outputFile="$results" test/churn "$@"
node test/summarize.mjs churn-suite "$results" --no-skips
