// npm run bench:sync — a no-change sync of BENCH_USERS (default 100,000) AD users against a tenant
// of as many users, all managed and in step: it must write nothing, read Duo at the listing's floor
// (⌈users / 300⌉ calls), and cost little more than reading both sides alone. The baseline, measured
// in the same run and alternating with the sync: `export --from-ldif` (the AD read, to a CSV) plus
// `tenant export` (the Duo read, to a snapshot), each in its own process. Medians of BENCH_RUNS (3).
// Duo is `duo-bridge simulator` (its own process) seeded with the tenant.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUserFilter } from '../dist/ad/user-filter.js';
import { formatObjectGuid } from '../dist/ad/guid.js';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'duo-bridge-bench-sync-'));
const bin = fileURLToPath(new URL('../bin/duo-bridge', import.meta.url));
const child = fileURLToPath(new URL('./child.mjs', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => n.toLocaleString('en-US');
const VPN = 'CN=VPN Users,OU=Groups,DC=corp,DC=example';

const guid = (i) => {
  const bytes = Buffer.alloc(16);
  bytes.writeUInt32LE(0xbe0c4, 0);
  bytes.writeUInt32BE(i, 12);
  return bytes;
};
const sam = (i) => `u${String(i).padStart(6, '0')}`;
const inVpn = (i) => i % 4 === 0;

console.error(`generating ${fmt(USERS)} AD users and the matching tenant …`);
const ldif = createWriteStream(join(work, 'ad.ldif'));
for (let i = 1; i <= USERS; i++) {
  const entry = `dn: CN=User ${i},OU=People,DC=corp,DC=example\nobjectClass: user\nobjectCategory: CN=Person,CN=Schema,CN=Configuration,DC=corp,DC=example\n` +
    `objectGUID:: ${guid(i).toString('base64')}\nsAMAccountName: ${sam(i)}\ngivenName: Given${i}\nsn: Sur${i}\ndisplayName: Given${i} Sur${i}\n` +
    `mail: ${sam(i)}@corp.example\nuserAccountControl: 512\n${inVpn(i) ? `memberOf: ${VPN}\n` : ''}\n`;
  if (!ldif.write(entry)) await once(ldif, 'drain');
}
ldif.end();
await once(ldif, 'finish');

const userId = (i) => `DU${String(i).padStart(18, '0')}`;
const snapshot = createWriteStream(join(work, 'tenant.json'));
snapshot.write('{"host":"bench","exported_at":"2026-12-01T00:00:00Z","users":[');
for (let i = 1; i <= USERS; i++) {
  const user = { user_id: userId(i), username: sam(i), aliases: {}, email: `${sam(i)}@corp.example`, realname: `Given${i} Sur${i}`, firstname: `Given${i}`, lastname: `Sur${i}`,
    status: 'active', notes: null, last_directory_sync: null, external_id: null, is_enrolled: false, phones: [], groups: inVpn(i) ? [{ group_id: 'DGVPN', name: 'VPN Users' }] : [] };
  if (!snapshot.write(`${i === 1 ? '' : ','}\n${JSON.stringify(user)}`)) await once(snapshot, 'drain');
}
snapshot.write('\n],"groups":[{"group_id":"DGVPN","name":"VPN Users"}]}\n');
snapshot.end();
await once(snapshot, 'finish');

const simulator = spawn(process.execPath, [bin, 'simulator', '--tenant', join(work, 'tenant.json')], { stdio: ['ignore', 'pipe', 'ignore'] });
let banner = '';
simulator.stdout.setEncoding('utf8').on('data', (chunk) => (banner += chunk));
while (!/DUO_SKEY=\S+\n/.test(banner)) await once(simulator.stdout, 'data');
const duoEnv = Object.fromEntries([...banner.matchAll(/^export (DUO_\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
const host = new URL(duoEnv.DUO_HOST).host;

// The state a previous sync left: every user managed, the values it applied equal to both sides.
const state = join(work, 'sync.state.json');
const users = {};
for (let i = 1; i <= USERS; i++) {
  users[formatObjectGuid(guid(i))] = {
    user_id: userId(i), origin: 'created',
    applied: { username: sam(i), aliases: {}, realname: `Given${i} Sur${i}`, firstname: `Given${i}`, lastname: `Sur${i}`, email: `${sam(i)}@corp.example`, status: 'active', groups: inVpn(i) ? ['vpn users'] : [] },
  };
}
writeFileSync(state, JSON.stringify({
  version: 1, host, source: { domain: 'corp.example', base: '', filter: buildUserFilter({ groups: [], includeDisabled: true }) }, users, groups: {}, blocked: null,
  ad_users: USERS, last_journal: null, runs: [],
}));
const stateBytes = readFileSync(state).length;

function measure(args) {
  const run = spawnSync(process.execPath, [child, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'pipe'], env: { ...process.env, ...duoEnv }, maxBuffer: 1 << 20 });
  const result = JSON.parse(run.output[3].toString());
  if (result.exitCode !== 0) throw new Error(`${args[0]} exited ${result.exitCode}: ${result.stderr}`);
  return result;
}

const fast = ['--rate', '100000'];
const baseline = [];
const syncs = [];
let summary = null;
let changeLine = '';
try {
  for (let run = 0; run < RUNS; run++) {
    const ad = measure(['export', '--from-ldif', join(work, 'ad.ldif'), '--duo-group', VPN, '--out', join(work, 'users.csv')]);
    const duo = measure(['tenant', 'export', '--out', join(work, 'snapshot.json'), ...fast]);
    baseline.push({ seconds: ad.seconds + duo.seconds, rss: Math.max(ad.maxRssMB, duo.maxRssMB) });
    const sync = measure(['sync', '--from-ldif', join(work, 'ad.ldif'), '--duo-group', VPN, '--state', state, '--apply', '--yes', '--summary-json', join(work, 'summary.json'), ...fast]);
    summary = JSON.parse(readFileSync(join(work, 'summary.json'), 'utf8'));
    if (summary.duo_writes !== 0 || Object.keys(summary.counts).length !== 0) throw new Error(`not a no-change sync: ${JSON.stringify(summary)}`);
    syncs.push({ seconds: sync.seconds, rss: sync.maxRssMB });
  }
  // Then k users changed in AD: a tenth renamed (realname) and a twentieth newly in VPN Users.
  const changed = (i) => i % 10 === 1 || i % 20 === 2;
  const edited = createWriteStream(join(work, 'ad.ldif'));
  for (let i = 1; i <= USERS; i++) {
    const entry = `dn: CN=User ${i},OU=People,DC=corp,DC=example\nobjectClass: user\nobjectCategory: CN=Person,CN=Schema,CN=Configuration,DC=corp,DC=example\n` +
      `objectGUID:: ${guid(i).toString('base64')}\nsAMAccountName: ${sam(i)}\ngivenName: Given${i}\nsn: Sur${i}\ndisplayName: ${i % 10 === 1 ? 'Renamed' : 'Given'}${i} Sur${i}\n` +
      `mail: ${sam(i)}@corp.example\nuserAccountControl: 512\n${inVpn(i) || i % 20 === 2 ? `memberOf: ${VPN}\n` : ''}\n`;
    if (!edited.write(entry)) await once(edited, 'drain');
  }
  edited.end();
  await once(edited, 'finish');
  const k = Array.from({ length: USERS }, (_, n) => n + 1).filter(changed).length;
  const changeRun = measure(['sync', '--from-ldif', join(work, 'ad.ldif'), '--duo-group', VPN, '--state', state, '--apply', '--yes', '--summary-json', join(work, 'summary.json'), ...fast]);
  const changes = JSON.parse(readFileSync(join(work, 'summary.json'), 'utf8'));
  changeLine = (`${fmt(k)} users changed in AD (${fmt(changes.counts.update ?? 0)} updates, ${fmt(changes.counts.add_membership ?? 0)} memberships added): ` +
    `${changes.duo_writes} writes = ${(changes.duo_writes / k).toFixed(3)} per changed user (goal ≤ 0.03), ${changes.duo_calls} calls in all, ${changeRun.seconds.toFixed(2)} s, peak RSS ${changeRun.maxRssMB.toFixed(0)} MB, exit ${changes.exit}`);
} finally {
  simulator.kill('SIGTERM');
}
const floor = Math.ceil(USERS / 300);
const base = median(baseline.map((r) => r.seconds));
const ours = median(syncs.map((r) => r.seconds));
console.log(`no-change sync, ${fmt(USERS)} AD users against ${fmt(USERS)} Duo users (state ${(stateBytes / 1e6).toFixed(1)} MB), median of ${RUNS}:`);
console.log(`  reading both sides alone (export + tenant export): ${base.toFixed(2)} s (runs ${baseline.map((r) => r.seconds.toFixed(2)).join(', ')}), peak RSS ${Math.max(...baseline.map((r) => r.rss)).toFixed(0)} MB`);
console.log(`  sync --apply: ${ours.toFixed(2)} s (runs ${syncs.map((r) => r.seconds.toFixed(2)).join(', ')}), peak RSS ${Math.max(...syncs.map((r) => r.rss)).toFixed(0)} MB (goal < 400)`);
console.log(`  wall time ${(ours / base).toFixed(2)} × reading both sides (goal ≤ 1.2); Duo calls ${summary.duo_calls} for a floor of ${floor} (${(100 * (summary.duo_calls / floor - 1)).toFixed(1)} % over; goal ≤ 2 %), writes ${summary.duo_writes}`);
console.log(`  ${changeLine}`);
rmSync(work, { recursive: true, force: true });
