// npm run bench:export — duo-bridge export against ldapsearch on the same Samba AD DC, same filter,
// attributes and page size, over LDAP and LDAPS, at 5,000 and 50,000 users (BENCH_USERS). Needs root (the lab installs Samba if missing).
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SIZES = (process.env.BENCH_USERS ?? '5000,50000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const lab = fileURLToPath(new URL('../test/ad/lab.sh', import.meta.url));
const child = fileURLToPath(new URL('./child.mjs', import.meta.url));
const env = { ...process.env, AD_DIR: process.env.AD_DIR ?? '/tmp/duo-bridge-bench/dc' };
const work = mkdtempSync(join(tmpdir(), 'duo-bridge-bench-'));
const FILTER = '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))';
const ATTRS = ['displayName', 'givenName', 'sn', 'mail', 'userAccountControl', 'objectGUID', 'sAMAccountName'];

function seconds(fn) {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  for (const users of SIZES) {
    console.error(`starting a lab DC with ${users.toLocaleString('en-US')} users …`);
    const ad = Object.fromEntries(execFileSync('bash', [lab, 'up', String(users)], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
      .trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)));
    for (const tls of [false, true]) {
      const url = tls ? ad.AD_URL_TLS : ad.AD_URL;
      const ldapsearch = [], exporter = [], rss = [];
      let exported = '';
      for (let run = 0; run < RUNS; run++) {
        ldapsearch.push(seconds(() => execFileSync('sh', ['-c', 'ldapsearch "$@" > /dev/null', 'ldapsearch', '-x', '-LLL', '-H', url,
          '-D', ad.AD_EXPORT_USER, '-w', ad.AD_EXPORT_PASSWORD, '-b', ad.AD_BASE, '-E', 'pr=500/noprompt', FILTER, ...ATTRS], { env: { ...process.env, LDAPTLS_CACERT: ad.AD_CA } })));
        const result = spawnSync(process.execPath, [child, 'export', '--url', url, ...(tls ? ['--ca', ad.AD_CA] : ['--insecure-plaintext-bind']), '--bind-dn', ad.AD_EXPORT_USER, '--base', ad.AD_BASE,
          '--page-size', '500', '--alias-attr', 'mail', '--out', join(work, 'users.csv')], {
          env: { ...process.env, LDAP_BIND_PASSWORD: ad.AD_EXPORT_PASSWORD }, stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
        });
        const measured = JSON.parse(result.output[3].toString());
        if (measured.exitCode !== 0) throw new Error(`export failed: ${measured.stderr}`);
        exporter.push(measured.seconds);
        rss.push(measured.maxRssMB);
        exported = measured.stderr.split('\n').find((line) => line.startsWith('exported'));
      }
      const [l, e] = [median(ldapsearch), median(exporter)];
      console.log(`${users.toLocaleString('en-US')} users over ${tls ? 'LDAPS' : 'LDAP'} (${RUNS} runs, medians): ldapsearch ${l.toFixed(2)} s · duo-bridge export ${e.toFixed(2)} s` +
        ` · throughput ratio export/ldapsearch ${(l / e).toFixed(2)} (goal ≥ 0.8) · export peak RSS ${Math.max(...rss).toFixed(0)} MB (goal < 150)`);
      console.log(`  ${exported}`);
    }
  }
} finally {
  execFileSync('bash', [lab, 'down'], { env, stdio: 'inherit' });
  rmSync(work, { recursive: true, force: true });
}
