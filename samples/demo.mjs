// npm run demo: the whole pipeline on the bundled sample directory, no servers needed.
// Plain Node (no shell), so it runs the same on Windows, macOS and Linux.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'bin', 'duo-bridge');
const out = mkdtempSync(join(tmpdir(), 'duo-bridge-demo-'));
const bold = process.stdout.isTTY ? (text) => `\u001b[1m${text}\u001b[0m` : (text) => text;
// Relative to the repository, where every command runs: shorter to read.
const sample = (name) => join('samples', name);

function step(title) {
  console.log(`\n${bold(`== ${title}`)}`);
}

function bridge(...args) {
  console.log(`$ duo-bridge ${args.map((a) => (/[\s;"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  const run = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit', cwd: repo });
  console.log(`(exit ${run.status})`);
}

try {
  step("1. The directory sync's mistake: username = mail. Users without mail are kept (blank), not dropped.");
  bridge('export', '--from-ldif', sample('directory.ldif'), '--username-attr', 'mail', '--out', join(out, 'by-mail.csv'));
  bridge('validate', join(out, 'by-mail.csv'), '--max-shown', '2');

  step('2. The fix: sAMAccountName as username, mail and the SMTP proxyAddresses as aliases; mobiles as E.164 phones, AD groups as Duo groups.');
  bridge('export', '--from-ldif', sample('directory.ldif'), '--alias-attr', 'mail', '--alias-attr', 'proxyAddresses', '--lowercase',
    '--phone-attr', 'mobile', '--default-country', 'US', '--duo-group', 'CN=Duo Users,OU=Groups,DC=corp,DC=example', '--duo-group', 'CN=VPN Users,OU=Groups,DC=corp,DC=example',
    '--out', join(out, 'users.csv'));
  bridge('validate', join(out, 'users.csv'), '--default-country', 'US', '--report', join(out, 'findings.csv'));
  const findings = readFileSync(join(out, 'findings.csv'), 'utf8').trimEnd().split(/\r?\n/).length - 1;
  console.log(`findings for the spreadsheet: ${join(out, 'findings.csv')} (${findings} rows)`);

  step('3. Files people build by hand, or that went through Excel.');
  bridge('validate', sample('users-messy.csv'), '--max-shown', '3');
  bridge('validate', sample('users-excel-semicolon.csv'));

  step('4. Import: the valid rows become bulk_create batches for review (--apply would send them to Duo).');
  bridge('import', join(out, 'users.csv'), '--out-dir', join(out, 'batches'), '--skip-invalid', '--default-country', 'US');
  console.log(`rejected rows, with reasons: ${join(out, 'users.rejected.csv')}`);
  const rejected = readFileSync(join(out, 'users.rejected.csv'), 'utf8').replace(/^\uFEFF/, '');
  for (const line of rejected.split(/\r?\n/).slice(0, 3)) console.log(line.slice(0, 160));
  const batch = JSON.parse(readFileSync(join(out, 'batches', 'batch-0001.json'), 'utf8'));
  console.log(`first user of ${join(out, 'batches', 'batch-0001.json')}:`);
  console.log(JSON.stringify(batch.users[0], null, 2), `\n… ${batch.users.length} users in this batch`);
} finally {
  rmSync(out, { recursive: true, force: true });
}
