#!/usr/bin/env bash
# npm run demo: the whole pipeline on the bundled sample directory, no servers needed.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d "${TMPDIR:-/tmp}/duo-bridge-demo.XXXXXX")
trap 'rm -rf "$out"' EXIT
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
bridge() { echo "\$ duo-bridge $*"; node bin/duo-bridge "$@"; echo "(exit $?)"; }

step "1. The directory sync's mistake: username = mail. Users without mail are kept (blank), not dropped."
bridge export --from-ldif samples/directory.ldif --username-attr mail --out "$out/by-mail.csv"
bridge validate "$out/by-mail.csv" --max-shown 2

step "2. The fix: sAMAccountName as username, mail and the SMTP proxyAddresses as aliases."
bridge export --from-ldif samples/directory.ldif --alias-attr mail --alias-attr proxyAddresses --lowercase --out "$out/users.csv"
bridge validate "$out/users.csv" --report "$out/findings.csv"
echo "findings for the spreadsheet: $out/findings.csv ($(($(wc -l < "$out/findings.csv") - 1)) rows)"

step "3. Files people build by hand, or that went through Excel."
bridge validate samples/users-messy.csv --max-shown 3
bridge validate samples/users-excel-semicolon.csv

step "4. Import: the valid rows become bulk_create batches for review (--apply would send them to Duo)."
bridge import "$out/users.csv" --out-dir "$out/batches" --skip-invalid
echo "rejected rows, with reasons: $out/users.rejected.csv"
sed -n '1,3p' "$out/users.rejected.csv" | cut -c1-160
echo "first user of $out/batches/batch-0001.json:"
node -e 'const b = require(process.argv[1]); console.log(JSON.stringify(b.users[0], null, 2), `\n… ${b.users.length} users in this batch`)' "$out/batches/batch-0001.json"
