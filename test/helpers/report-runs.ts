import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTenantSnapshot } from '../../src/duo/tenant/tenant.js';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { REPO, runCli, type CliRun } from './run-cli.js';
import { labUsers, VPN, writeLdif } from './sync-ldif.js';

/** One report made by the CLI, with what the same run printed (`--format json` where the command has it). */
export interface MadeReport {
  readonly html: string;
  readonly run: CliRun;
  /** The run's `--format json`, parsed (null for import, which has none: its results file is the data). */
  readonly json: any;
}

export type ReportName = 'plan' | 'migrate' | 'import' | 'diff' | 'rollback' | 'sync' | 'hostile';

const FAST = ['--rate', '100000', '--timeout', '10'];

export const HOSTILE_VALUES = {
  realname: '<img src=x onerror=alert(1)>',
  notes: '</script><script>alert(2)</script>',
  url: 'javascript:alert(3)',
};

function expectExit(run: CliRun, codes: number[], what: string): CliRun {
  if (!codes.includes(run.exitCode ?? -1)) throw new Error(`${what} exited ${run.exitCode}: ${run.stderr}`);
  return run;
}

async function made(dir: string, name: ReportName, run: CliRun, codes: number[], json = true): Promise<MadeReport> {
  expectExit(run, codes, name);
  return { html: join(dir, `${name}.html`), run, json: json ? JSON.parse(run.stdout) : null };
}

/**
 * The demo's story, each step with --report: plan offline against the sample tenant; migrate,
 * import, tenant diff and a rollback preview against a fake Duo seeded with it; a sync's second
 * day whose destructive actions a safeguard holds; and a plan of hostile values.
 */
export async function makeReports(dir: string): Promise<Record<ReportName, MadeReport>> {
  const sample = (name: string) => join(REPO, 'samples', name);
  const csv = join(dir, 'users.csv');
  expectExit(await runCli(['export', '--from-ldif', sample('directory.ldif'), '--alias-attr', 'mail', '--alias-attr', 'proxyAddresses', '--lowercase',
    '--phone-attr', 'mobile', '--default-country', 'US', '--duo-group', 'CN=VPN Users,OU=Groups,DC=corp,DC=example', '--out', csv]), [0, 1], 'export');
  const rows = [csv, '--skip-invalid', '--default-country', 'US', '--assert-sync-deleted'];
  const reports = {} as Record<ReportName, MadeReport>;
  const report = (name: ReportName) => ['--report', join(dir, `${name}.html`)];

  reports.plan = await made(dir, 'plan', await runCli(['plan', ...rows, '--tenant', sample('tenant-mail-sync.json'), '--format', 'json', ...report('plan')]), [0, 1]);

  const duo = await new FakeDuo().start();
  try {
    duo.seedSnapshot(await loadTenantSnapshot(sample('tenant-mail-sync.json')));
    const env = duo.env();
    const before = join(dir, 'before.json');
    expectExit(await runCli(['tenant', 'export', '--out', before, ...FAST], { env }), [0], 'tenant export');
    reports.migrate = await made(dir, 'migrate', await runCli(['migrate', ...rows, '--apply', '--yes', '--format', 'json', ...FAST, ...report('migrate')], { env }), [0, 1]);
    reports.import = await made(dir, 'import', await runCli(['import', ...rows, '--apply', '--yes', ...FAST, ...report('import')], { env }), [0, 1], false);
    const after = join(dir, 'after.json');
    expectExit(await runCli(['tenant', 'export', '--out', after, ...FAST], { env }), [0], 'tenant export');
    reports.diff = await made(dir, 'diff', await runCli(['tenant', 'diff', before, after, '--format', 'json', ...report('diff')], { env }), [1]);
    reports.rollback = await made(dir, 'rollback', await runCli(['rollback', join(dir, 'users.journal.jsonl'), '--format', 'json', ...FAST, ...report('rollback')], { env }), [0]);
  } finally {
    await duo.stop();
  }

  const syncDuo = await new FakeDuo().start();
  try {
    const env = syncDuo.env();
    const ad = labUsers(40);
    const ldif = join(dir, 'ad.ldif');
    const sync = ['sync', '--from-ldif', ldif, '--state', join(dir, 'sync.state.json'), '--duo-group', VPN, ...FAST];
    writeLdif(ldif, ad);
    expectExit(await runCli([...sync, '--apply', '--yes'], { env }), [0], 'sync day 1');
    // Day 2: a leaver, a disabled account, a rename, a group removal and a joiner; the safeguard (set to 0) holds what is destructive.
    ad[2]!.disabled = true;
    ad[3]!.sam = 'renamed004';
    ad[5]!.groups = [];
    writeLdif(ldif, [...ad.filter((u) => u.id !== 5), ...labUsers(1, 41)]);
    reports.sync = await made(dir, 'sync', await runCli([...sync, '--apply', '--yes', '--threshold-count', '0', '--threshold-percent', '0', '--format', 'json', ...report('sync')], { env }), [4]);
  } finally {
    await syncDuo.stop();
  }

  const hostileCsv = join(dir, 'hostile.csv');
  writeFileSync(hostileCsv, ['username,realname,email,notes',
    `xss1,"${HOSTILE_VALUES.realname}",x1@corp.example,"${HOSTILE_VALUES.notes.replace(/"/g, '""')}"`,
    `xss2,${HOSTILE_VALUES.url},x2@corp.example,`,
    `"${HOSTILE_VALUES.realname.replace(/"/g, '""')}",x,x3@corp.example,`].join('\r\n') + '\r\n');
  const emptyTenant = join(dir, 'empty-tenant.json');
  writeFileSync(emptyTenant, JSON.stringify({ host: 'api-hostile.duosecurity.com', exported_at: new Date().toISOString(), users: [], groups: [] }));
  reports.hostile = await made(dir, 'hostile', await runCli(['plan', hostileCsv, '--skip-invalid', '--tenant', emptyTenant, '--format', 'json', ...report('hostile')]), [0, 1]);
  return reports;
}

/** The chart's bars as the page holds them (no browser needed): action → count. */
export function chartCounts(html: string): Record<string, number> {
  return Object.fromEntries([...html.matchAll(/<g data-action="([^"]*)" data-count="(\d+)">/g)].map((m) => [unescape(m[1]!), Number(m[2])]));
}

/** The rows the page lists apart, before the rest, by action. */
export function attentionRows(html: string): string[] {
  const block = html.slice(html.indexOf('<section id="attention">'), html.indexOf('<section id="all">'));
  return [...block.matchAll(/<tr class="risk-\w+" data-action="([^"]*)">/g)].map((m) => unescape(m[1]!));
}

const unescape = (text: string): string => text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

export function readReport(report: MadeReport): string {
  return readFileSync(report.html, 'utf8');
}

const tally = (items: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const item of items) counts[item] = (counts[item] ?? 0) + 1;
  return counts;
};

const SYNC_LABEL: Record<string, string> = { remove_membership: 'remove from group', add_membership: 'add to group', trash: 'send to Trash' };

/**
 * What each page must show, worked out from the run's own output (its JSON, or for import its
 * results file): the chart's bars and the rows listed apart, by action. Both suites check the page
 * against this: the integration suite in the HTML, the browser suite in what Chromium renders.
 */
export function expectedPage(name: ReportName, made: MadeReport): { bars: Record<string, number>; attention: Record<string, number> } {
  const json = made.json;
  const summaryBars = (summary: Record<string, number>) => Object.fromEntries(Object.entries(summary).filter(([a, n]) => a !== 'restore' || n > 0));
  switch (name) {
    case 'plan':
    case 'hostile':
      return { bars: summaryBars(json.summary), attention: tally(json.rows.filter((r: any) => r.action === 'migrate' || r.action === 'conflict').map((r: any) => r.action)) };
    case 'migrate': {
      const failed = new Set(json.results.filter((r: any) => !r.ok).map((r: any) => r.userId));
      return { bars: summaryBars(json.plan.summary), attention: tally(json.plan.rows.filter((r: any) => r.action === 'migrate' || r.action === 'conflict' || failed.has(r.duo_user_id)).map((r: any) => r.action)) };
    }
    case 'import': {
      const results = readFileSync(made.html.replace(/import\.html$/, 'users.results.csv'), 'utf8').replace(/^\uFEFF/, '').trimEnd().split(/\r?\n/).slice(1);
      const outcome = (line: string) => /,(created|updated|restored|exists|skipped|failed),/.exec(line)![1]!;
      return { bars: tally(results.map(outcome)), attention: tally(results.map(outcome).filter((o) => o === 'failed')) };
    }
    case 'diff': {
      const risky = json.changes.filter((c: any) => c.kind === 'deleted' || c.kind === 'group deleted' || (c.changes ?? []).some((f: any) =>
        f.field === 'username' || (f.field === 'status' && f.after === 'disabled') || (['group', 'phone', 'aliases'].includes(f.field) && f.after === '')));
      return { bars: { ...tally(json.changes.map((c: any) => c.kind)), ...(json.trash.length > 0 ? { 'in the Trash': json.trash.length } : {}) }, attention: { ...tally(risky.map((c: any) => c.kind)), ...(json.trash.length > 0 ? { 'in the Trash': json.trash.length } : {}) } };
    }
    case 'rollback':
      return {
        bars: Object.fromEntries(Object.entries({ 'disable and send to Trash': json.trash.length, 'remove from group': json.remove_memberships.length, 'delete phone': json.delete_phones.length, 'detach phone': json.detach_phones.length,
          'take out of the Trash': json.untrash.length, 'restore names': json.restore_names.length, 'set fields back': json.restore_fields.length, 'add back to group': json.add_back_memberships.length,
          'skip: changed since the run': json.skipped.length }).filter(([, n]) => n > 0)),
        attention: Object.fromEntries(Object.entries({ 'disable and send to Trash': json.trash.length, 'remove from group': json.remove_memberships.length, 'delete phone': json.delete_phones.length, 'detach phone': json.detach_phones.length,
          'skip: changed since the run': json.skipped.length }).filter(([, n]) => n > 0)),
      };
    case 'sync': {
      const label = (kind: string) => SYNC_LABEL[kind] ?? kind;
      const held = tally(json.plan.held.map((a: any) => `held: ${label(a.kind)}`));
      const destructive = ['disable', 'trash', 'remove_membership', 'rename'];
      const failed = new Set((json.results ?? []).filter((r: any) => !r.ok).map((r: any) => JSON.stringify([r.action.kind, r.action.guid])));
      const risky = json.plan.actions.filter((a: any) => destructive.includes(a.kind) || failed.has(JSON.stringify([a.kind, a.guid])));
      return {
        bars: { ...Object.fromEntries(Object.entries(json.counts).map(([kind, n]) => [label(kind), n as number])), ...held, ...(json.plan.conflicts.length > 0 ? { conflict: json.plan.conflicts.length } : {}), ...(json.plan.drift.length > 0 ? { drift: json.plan.drift.length } : {}) },
        attention: { ...tally(risky.map((a: any) => label(a.kind))), ...held, ...(json.plan.conflicts.length > 0 ? { conflict: json.plan.conflicts.length } : {}) },
      };
    }
  }
}

export { tally };
