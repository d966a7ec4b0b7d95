// npm run demo: the whole pipeline on the bundled sample directory, no servers needed.
// Plain Node (no shell), so it runs the same on Windows, macOS and Linux.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = join(repo, 'bin', 'duo-bridge');
// Every file the demo writes or mentions stays in demo-output/ (git ignores it), made afresh each run.
process.chdir(repo);
const out = 'demo-output';
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
const bold = process.stdout.isTTY ? (text) => `\u001b[1m${text}\u001b[0m` : (text) => text;
// Relative to the repository, where every command runs: shorter to read.
const sample = (name) => join('samples', name);

function step(title) {
  console.log(`\n${bold(`== ${title}`)}`);
}

let duoEnv = {};

function bridge(...args) {
  console.log(`$ duo-bridge ${args.map((a) => (/[\s;"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  const run = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit', cwd: repo, env: { ...process.env, ...duoEnv } });
  console.log(`(exit ${run.status}${run.status === 0 ? '' : `: ${why(args, run.status)}`})`);
}

/** What a non-zero exit means here (README, "Exit codes"): none of them is a failure of the demo. */
function why(args, status) {
  const [command, action] = args;
  if (status === 1 && command === 'validate') return 'the file has errors, so it is not ready for import';
  if (status === 1 && args.includes('--skip-invalid')) return `rows were left out as invalid${command === 'import' ? ' (see the rejected file)' : ''}, so the run says so`;
  if (status === 1 && command === 'tenant' && action === 'diff') return 'the tenants differ, as diff says';
  if (status === 1 && command === 'sync') return 'some AD users conflict with Duo users, or an action failed';
  if (status === 4) return 'a safeguard held destructive actions';
  return 'see the lines above';
}

/** `duo-bridge simulator` in the background; resolves with the DUO_* variables it prints. */
async function startSimulator(...args) {
  console.log(`$ duo-bridge simulator ${args.join(' ')} &`);
  const child = spawn(process.execPath, [bin, 'simulator', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk) => (err += chunk));
  child.stdout.on('data', (chunk) => (out += chunk));
  while (!/DUO_SKEY=\S+\n/.test(out)) {
    if (child.exitCode !== null) throw new Error(`the simulator did not start: ${err}`);
    await once(child.stdout, 'data');
  }
  console.log(err.trimEnd());
  console.log(out.trimEnd());
  duoEnv = Object.fromEntries([...out.matchAll(/^export (DUO_\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
  return child;
}

let simulator = null;
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

  step('3. For spreadsheet users: the same export as a workbook (every cell text), and the findings painted on its cells.');
  bridge('export', '--from-ldif', sample('directory.ldif'), '--alias-attr', 'mail', '--alias-attr', 'proxyAddresses', '--lowercase',
    '--phone-attr', 'mobile', '--default-country', 'US', '--duo-group', 'CN=Duo Users,OU=Groups,DC=corp,DC=example', '--out', join('demo-output', 'users.xlsx'));
  bridge('validate', join('demo-output', 'users.xlsx'), '--default-country', 'US', '--report', join('demo-output', 'findings.xlsx'), '--max-shown', '1');
  console.log('open demo-output/users.xlsx to edit the list, demo-output/findings.xlsx to see each problem on its cell (red: error, amber: warning; a note says why)');

  step('3b. Files people build by hand, or that went through Excel.');
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

  step('5. Dress rehearsal: a local Duo seeded with a tenant that a mail-username sync created (some users have phones).');
  simulator = await startSimulator('--tenant', sample('tenant-mail-sync.json'), '--state', join(out, 'rehearsal.state'));
  const rows = [join(out, 'users.csv'), '--skip-invalid', '--default-country', 'US', '--assert-sync-deleted'];
  const fast = ['--rate', '6000'];
  bridge('tenant', 'export', '--out', join(out, 'tenant-before.json'), ...fast);
  step('6. The plan: the sync\'s users are renamed in place (user_id, phones and enrolment kept), the others created; groups and phones added.');
  console.log('(the old sync was deleted, but Duo keeps its date on the users: --assert-sync-deleted says so, and the journal records it)');
  bridge('plan', ...rows, ...fast, '--report', join('demo-output', 'plan.html'));
  step('7. migrate, then import, then what changed.');
  bridge('migrate', ...rows, '--apply', '--yes', ...fast);
  bridge('import', ...rows, '--apply', '--yes', ...fast);
  bridge('tenant', 'export', '--out', join(out, 'tenant-after.json'), ...fast);
  bridge('tenant', 'diff', join(out, 'tenant-before.json'), join(out, 'tenant-after.json'), '--report', join('demo-output', 'diff.html'));
  step('8. Undo both (import first), and prove it: the diff against the first snapshot is empty.');
  bridge('rollback', join(out, 'users.journal.jsonl'), '--apply', '--yes', ...fast);
  bridge('rollback', join(out, 'users.migrate.jsonl'), '--apply', '--yes', ...fast);
  bridge('tenant', 'diff', join(out, 'tenant-before.json'), ...fast);

  step('9. The path this product exists for: the checked list imported into Duo (here a fresh local Duo), then "sync --adopt" takes those users over, and from then on a nightly sync keeps them in step with AD.');
  console.log('(two pairs of AD accounts share a mailbox, jfoo/jfoo-adm and mmuller/MMuller2: Duo would take each pair for one person, so sync names them as conflicts and touches neither)');
  simulator.kill('SIGTERM');
  await once(simulator, 'exit');
  writeFileSync(join(out, 'empty-tenant.json'), JSON.stringify({ host: 'demo', exported_at: new Date().toISOString(), users: [], groups: [] }));
  simulator = await startSimulator('--tenant', join(out, 'empty-tenant.json'));
  // Its own journal: the one beside users.csv records the rehearsal's Duo, which it can only be resumed or rolled back against.
  bridge('import', join(out, 'users.csv'), '--skip-invalid', '--default-country', 'US', '--create-groups', '--journal', join(out, 'production.journal.jsonl'), '--apply', '--yes', ...fast);
  const day = join(out, 'directory-today.ldif');
  // The same mapping as the export the list came from (sync never manages phones: import attached them).
  const sync = ['sync', '--from-ldif', day, '--alias-attr', 'mail', '--alias-attr', 'proxyAddresses', '--lowercase',
    '--duo-group', 'CN=Duo Users,OU=Groups,DC=corp,DC=example', '--duo-group', 'CN=VPN Users,OU=Groups,DC=corp,DC=example', '--state', join(out, 'sync.state.json'), ...fast];
  const directory = readFileSync(sample('directory.ldif'), 'utf8');
  writeFileSync(day, directory);
  bridge(...sync, '--adopt', '--out', join(out, 'first-plan.json'));
  bridge(...sync, '--apply', '--plan', join(out, 'first-plan.json'), '--yes');
  console.log('(the nightly run: nothing changed in AD, so nothing to change in Duo)');
  bridge(...sync, '--apply', '--yes');

  step('10. The next day in AD: a joiner, Bob disabled, Alice renamed (married: adavis → asmith) and out of VPN Users. sync applies it; the run after has nothing to change.');
  writeFileSync(day, directory
    .replace(/(sAMAccountName: bbrown\n(?:[^\n]+\n)*?userAccountControl: )512/, '$1514')
    .replace('sAMAccountName: adavis', 'sAMAccountName: asmith')
    .replace(/(dn: CN=Alice Davis,[^]*?)memberOf: CN=VPN Users,OU=Groups,DC=corp,DC=example\n/, '$1')
    + ['', 'dn: CN=Zoe Jones,OU=People,DC=corp,DC=example', 'objectClass: user', 'objectCategory: CN=Person,CN=Schema,CN=Configuration,DC=corp,DC=example',
      'sAMAccountName: zjones', 'givenName: Zoe', 'sn: Jones', 'displayName: Zoe Jones', 'mail: zoe.jones@corp.example',
      'memberOf: CN=VPN Users,OU=Groups,DC=corp,DC=example', 'userAccountControl: 512', 'objectGUID:: 7q3AvH5M7UWq1x9K2lC0jw==', ''].join('\n'));
  bridge(...sync, '--apply', '--yes', '--report', join('demo-output', 'sync.html'));
  bridge(...sync);
  const runs = join(out, 'sync.state.runs');
  const journal = join(runs, readdirSync(runs).filter((f) => f.endsWith('.jsonl')).sort().at(-1));

  step('10b. A mass change is held: a dozen accounts disabled in AD at once (a script gone wrong?). The rest is applied; the disables wait for someone to look.');
  let disabled = 0;
  writeFileSync(day, readFileSync(day, 'utf8').replace(/userAccountControl: 512/g, (match) => (disabled++ < 12 ? 'userAccountControl: 514' : match)));
  bridge(...sync, '--apply', '--yes');
  bridge('sync', 'status', '--state', join(out, 'sync.state.json'));
  const held = JSON.parse(readFileSync(join(runs, readdirSync(runs).filter((f) => f.endsWith('.held.json')).sort().at(-1)), 'utf8'));
  const approve = /--approve (\S+)/.exec(held.approve_with)[1];
  console.log(`(reviewed: they really left. --approve ${approve} releases exactly that held set; the run printed the whole command, and mails it with --notify-email)`);
  bridge(...sync, '--apply', '--approve', approve, '--yes');

  step('11. Every sync run can be undone from its journal: day 2\'s brings Bob back (an enable gives access back: its page says so), Alice\'s name and group, and sends Zoe to the Trash.');
  bridge('rollback', journal, '--apply', '--yes', ...fast);
  console.log('(a leaver is disabled at once and sent to the Trash after trash-after-days; to run it nightly as a service, with mail when it is held: see "Running sync on a schedule" in the README)');
  console.log('\nPages for the change ticket (open them in any browser; they load nothing from the network):');
  console.log('  demo-output/plan.html  what the import and migrate would do, renames and conflicts first');
  console.log('  demo-output/diff.html  what they changed in the tenant');
  console.log('  demo-output/sync.html  the day-2 sync run: the disable and the group removal first');
  console.log('\nThe same commands run against your real tenant once the rehearsal looks right: see "A dress rehearsal" in the README.');
} finally {
  simulator?.kill('SIGTERM');
  if (simulator) await once(simulator, 'exit');
}
