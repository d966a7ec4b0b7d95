#!/usr/bin/env bash
# npm run test:ops — unattended operations (issue 29) against real components: a Postfix mail server
# (test/ops/mail-lab.sh: loopback, STARTTLS with a test CA, a submission port with SASL logins, a
# port without TLS), a loopback HTTPS webhook sink, the package installed with "npm install -g" and
# run as a service account, and the systemd units checked by systemd-analyze. Installs Postfix and
# systemd from Debian when missing (needs root); fails if any test was skipped or none ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v systemd-analyze >/dev/null; then
  echo "installing systemd (for systemd-analyze verify) from Debian" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi
lab=$(mktemp)
results=$(mktemp)
trap 'rm -f "$lab" "$results"' EXIT
bash test/ops/mail-lab.sh up > "$lab"
set -a
# shellcheck disable=SC1090
. "$lab"
set +a
DUO_BRIDGE_OPS_SUITE=1 node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand \
  --json --outputFile="$results" test/ops "$@"
node test/summarize.mjs ops-suite "$results" --no-skips
