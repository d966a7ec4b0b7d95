#!/usr/bin/env bash
# npm run test:clients — the simulator driven by Duo's official clients: the Python client from
# Debian (python3-duo-client, installed when missing: needs root) and the Node client (a
# devDependency). Runs test/clients/*.test.ts and fails if any test was skipped or none ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! /usr/bin/python3 -c 'import duo_client' 2>/dev/null || ! command -v openssl >/dev/null; then
  echo "installing python3-duo-client and openssl from Debian" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-duo-client openssl >/dev/null
fi
results=$(mktemp)
trap 'rm -f "$results"' EXIT
DUO_BRIDGE_CLIENTS_SUITE=1 node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand \
  --json --outputFile="$results" test/clients "$@"
node test/summarize.mjs clients-suite "$results" --no-skips
