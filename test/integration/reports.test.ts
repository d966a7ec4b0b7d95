import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attentionRows, chartCounts, expectedPage, makeReports, readReport, tally, type MadeReport, type ReportName } from '../helpers/report-runs.js';
import { runCli } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

let reports: Record<ReportName, MadeReport>;
const dir = mkdtempSync(join(tmpdir(), 'duo-bridge-reports-'));

beforeAll(async () => {
  reports = await makeReports(dir);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--report FILE.html: the page holds the same data as --format json', () => {
  for (const name of ['plan', 'migrate', 'import', 'diff', 'rollback', 'sync', 'hostile'] as const) {
    it(`${name}: the chart and the rows listed apart are those of the run's output`, () => {
      const html = readReport(reports[name]);
      const expected = expectedPage(name, reports[name]);
      expect(chartCounts(html)).toEqual(expected.bars);
      expect(tally(attentionRows(html))).toEqual(expected.attention);
      expect(reports[name].run.stderr).toContain(`report: ${reports[name].html}`);
    });
  }

  it('plan: every row is there, with its line; the invalid rows --skip-invalid left out are said', () => {
    expect(reports.plan.run.stderr).toMatch(/note: 5 invalid rows of .*users\.csv left out \(--skip-invalid\): "duo-bridge validate .*users\.csv" lists why/);
    const html = readReport(reports.plan);
    for (const row of reports.plan.json.rows) expect(html).toContain(`<td>${row.line}</td></tr>`);
  });

  it('migrate and rollback: the outcome, or that nothing was changed', () => {
    const { json } = reports.migrate;
    expect(json.applied).toBe(true);
    expect(readReport(reports.migrate)).toContain(`${json.results.filter((r: any) => r.ok).length} users renamed, 0 failed`);
    expect(reports.rollback.json.applied).toBe(false);
    expect(readReport(reports.rollback)).toContain('preview: nothing was changed');
  });

  it('import: each row of the results file with its outcome, counted as the summary says', () => {
    const html = readReport(reports.import);
    const results = readFileSync(reports.import.html.replace('import.html', 'users.results.csv'), 'utf8').replace(/^\uFEFF/, '').trimEnd().split(/\r?\n/).slice(1);
    const created = Number(/created (\d+)/.exec(reports.import.run.stderr)![1]);
    expect(chartCounts(html).created).toBe(created);
    expect(html.slice(html.indexOf('<section id="all">')).match(/<tr(?: class="[\w-]+")? data-action=/g)!.length).toBe(results.length);
    // What changed comes first: no created, updated or restored row after one that stayed as it was.
    const actions = [...html.slice(html.indexOf('<section id="all">')).matchAll(/<tr(?: class="[\w-]+")? data-action="([\w ]+)"/g)].map((m) => m[1]!);
    const firstUnchanged = actions.findIndex((a) => !['created', 'updated', 'restored'].includes(a));
    expect(actions.slice(firstUnchanged).filter((a) => ['created', 'updated', 'restored'].includes(a))).toEqual([]);
    expect(actions.slice(0, firstUnchanged).length).toBe(created);
  });

  it('tenant diff and sync: renames among what needs attention; held actions with the way to release them', () => {
    expect(tally(attentionRows(readReport(reports.diff))).changed).toBeGreaterThan(0);
    const { json } = reports.sync;
    expect(json.held).toBeGreaterThan(0);
    // The whole command, as the run printed it (its --state included), and that it releases exactly them.
    expect(readReport(reports.sync)).toMatch(new RegExp(`Once the held actions are reviewed, \\S*duo-bridge sync [^<]*--state \\S+ [^<]*--apply --approve ${json.plan.approve_id} --yes releases exactly them`));
  });
});

describe('--report is refused before any work when it cannot be written as a page', () => {
  it('names the problem: not .html, a missing folder, import without --apply, tenant export', async () => {
    const dir = tmpFiles({ 'users.csv': 'username\njdoe\n', 't.json': JSON.stringify({ host: 'h', exported_at: '', users: [] }) });
    const csv = join(dir, 'users.csv');
    const cases: [string[], RegExp][] = [
      [['plan', csv, '--tenant', join(dir, 't.json'), '--report', join(dir, 'plan.csv')], /--report writes an HTML page: name it FILE\.html/],
      [['plan', csv, '--tenant', join(dir, 't.json'), '--report', join(dir, 'missing', 'plan.html')], /the folder .*missing does not exist/],
      [['import', csv, '--out-dir', dir, '--report', join(dir, 'i.html')], /--report goes with --apply/],
      [['tenant', 'export', '--out', join(dir, 'x.json'), '--report', join(dir, 'x.html')], /--report is not an option of tenant export/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      expect([run.exitCode, run.stderr]).toEqual([2, expect.stringMatching(message)]);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
