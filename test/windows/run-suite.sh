#!/usr/bin/env bash
# npm run test:windows — issue 31: builds the release (npm run package), then runs test/windows: the Windows
# executable under Wine and the Linux executable, each through the same scenario as the Linux CLI against the
# simulator, and the MSI read with msiinfo and installed and removed under Wine. Installs wine64, msitools
# (wixl, msiinfo, msibuild) and osslsigncode from Debian when missing (needs root). Fails if any test was
# skipped or none ran.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! { [ -x /usr/lib/wine/wine64 ] || command -v wine64 >/dev/null; } || ! command -v wixl >/dev/null || ! command -v msiinfo >/dev/null \
  || ! command -v msibuild >/dev/null || ! command -v osslsigncode >/dev/null; then
  echo "installing wine64, msitools and osslsigncode from Debian" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 wixl msitools osslsigncode >/dev/null
fi
node packaging/package.mjs
results=$(mktemp)
trap 'rm -f "$results"' EXIT
DUO_BRIDGE_WINDOWS_SUITE=1 node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand \
  --json --outputFile="$results" test/windows "$@"
node test/summarize.mjs windows-suite "$results" --no-skips
