#!/usr/bin/env bash
# npm run test:ad — the AD integration suite against a real Samba AD DC on loopback.
# Starts the lab (installing Samba if needed, as root), runs test/ad/*.test.ts, and fails if any
# test was skipped or none ran, so a suite that silently did nothing can never pass.
set -euo pipefail
cd "$(dirname "$0")/../.."
export AD_DIR=${AD_DIR:-/tmp/duo-bridge-ad/dc}
results=$(mktemp)
trap 'bash test/ad/lab.sh down; rm -f "$results"' EXIT

set -a
eval "$(bash test/ad/lab.sh up "${AD_USERS:-5000}")"
set +a
DUO_BRIDGE_AD_SUITE=1 node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand \
  --json --outputFile="$results" test/ad "$@"
node test/summarize.mjs ad-suite "$results" --no-skips
