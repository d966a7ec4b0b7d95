/// <reference lib="dom" />
// The functions passed to page.$eval / evaluate run in the page: they use the DOM's types.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { HOSTILE_VALUES, expectedPage, makeReports, readReport, tally, type MadeReport, type ReportName } from '../helpers/report-runs.js';
import { REPO, runCli } from '../helpers/run-cli.js';
import { launchChromium } from './chromium.js';

/** Screenshots, PDFs and the large report's measurements stay here for people to look at. */
const OUTPUT = join(REPO, 'test', 'browser', 'output');

let browser: Browser;
let reports: Record<ReportName, MadeReport>;

beforeAll(async () => {
  rmSync(OUTPUT, { recursive: true, force: true });
  mkdirSync(OUTPUT, { recursive: true });
  [browser, reports] = await Promise.all([launchChromium(), makeReports(OUTPUT)]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
});

interface Opened {
  readonly page: Page;
  /** Every request but the report file itself, every dialog, every script error or console error (a CSP refusal is one). */
  readonly requests: string[];
  readonly dialogs: string[];
  readonly errors: string[];
}

async function open(file: string, options: { javascript?: boolean } = {}): Promise<Opened> {
  const page = await browser.newPage();
  const opened: Opened = { page, requests: [], dialogs: [], errors: [] };
  await page.setViewport({ width: 1280, height: 900 });
  await page.setJavaScriptEnabled(options.javascript ?? true);
  await page.setRequestInterception(true);
  const url = `file://${file}`;
  page.on('request', (request) => {
    if (request.url() !== url) {
      opened.requests.push(request.url());
      void request.abort();
    } else void request.continue();
  });
  page.on('dialog', (dialog) => {
    opened.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => opened.errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') opened.errors.push(message.text());
  });
  await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
  return opened;
}

// textContent, not innerText: the chunks away from the screen are not laid out (content-visibility), and innerText needs layout.
const visibleRows = (page: Page) => page.$$eval('#rows tbody tr', (rows) => rows.filter((r) => !(r as HTMLElement).hidden).map((r) => r.textContent ?? ''));

async function selectAction(page: Page, value: string): Promise<void> {
  await page.select('#action', value);
}


describe('each report in Chromium: the same counts as the JSON, nothing fetched, nothing executed from data', () => {
  for (const name of ['plan', 'migrate', 'import', 'diff', 'rollback', 'sync', 'hostile'] as const) {
    it(`${name}: opens offline with no request, no dialog, no error; the chart and the rows at risk are those of the file`, async () => {
      const { page, requests, dialogs, errors } = await open(reports[name].html);
      const expected = expectedPage(name, reports[name]);
      const bars = await page.$$eval('svg.chart g[data-action]', (gs) => gs.map((g) => [g.getAttribute('data-action')!, Number(g.getAttribute('data-count'))] as const));
      expect(Object.fromEntries(bars)).toEqual(expected.bars);
      const attention = await page.$$eval('#attention-rows tbody tr', (rows) => rows.map((r) => r.getAttribute('data-action')!));
      expect(tally(attention)).toEqual(expected.attention);
      const total = await page.$$eval('#rows tbody tr', (rows) => rows.length);
      const atRisk = await page.$$eval('#rows tbody tr[class]', (rows) => rows.length);
      expect(atRisk).toBe(attention.length);
      expect(await page.$eval('#shown', (e) => e.textContent)).toBe(`${total} of ${total} rows shown`);
      await page.screenshot({ path: join(OUTPUT, `${name}.png`) });
      expect([requests, dialogs, errors]).toEqual([[], [], []]);
      await page.close();
    });
  }

  it('plan: filter by action, "needs attention", search and sort work on the rows in the page', async () => {
    const { json } = reports.plan;
    const { page } = await open(reports.plan.html);
    await selectAction(page, 'create');
    expect((await visibleRows(page)).length).toBe(json.summary.create);
    await selectAction(page, '!risk');
    expect((await visibleRows(page)).length).toBe(json.summary.migrate + json.summary.conflict);
    await selectAction(page, '');
    const user = json.rows.find((r: any) => r.action === 'migrate').username as string;
    await page.$eval('#search', (input, value) => {
      (input as HTMLInputElement).value = value as string;
      input.dispatchEvent(new Event('input'));
    }, user);
    await page.waitForFunction((n) => document.getElementById('shown')!.textContent !== `${n} of ${n} rows shown`, {}, json.rows.length);
    const found = await visibleRows(page);
    expect(found.length).toBeGreaterThanOrEqual(1);
    for (const row of found) expect(row.toLowerCase()).toContain(user.toLowerCase());
    await page.$eval('#search', (input) => {
      (input as HTMLInputElement).value = '';
      input.dispatchEvent(new Event('input'));
    });
    await page.waitForFunction((n) => document.getElementById('shown')!.textContent === `${n} of ${n} rows shown`, {}, json.rows.length);

    const users = () => page.$$eval('#rows tbody tr', (rows) => rows.map((r) => (r as HTMLTableRowElement).cells[1]!.firstChild!.textContent!.toLowerCase()));
    await page.click('#rows thead th:nth-child(2) button');
    const ascending = await users();
    expect(ascending).toEqual([...ascending].sort());
    expect(await page.$eval('#rows thead th:nth-child(2)', (th) => th.getAttribute('aria-sort'))).toBe('ascending');
    await page.click('#rows thead th:nth-child(2) button');
    expect(await users()).toEqual([...ascending].sort().reverse());
    await page.click('#rows thead th:nth-child(5) button');
    const lines = await page.$$eval('#rows tbody tr', (rows) => rows.map((r) => Number((r as HTMLTableRowElement).cells[4]!.textContent)));
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    await page.close();
  });

  it('hostile values render as text: no image, no second script, no dialog, even on hover', async () => {
    const { page, dialogs, errors, requests } = await open(reports.hostile.html);
    expect(await page.evaluate(() => [document.images.length, document.scripts.length, document.querySelectorAll('[onerror],[onmouseover],a[href]').length])).toEqual([0, 1, 0]);
    const text = await page.$eval('#rows', (t) => t.textContent);
    for (const value of Object.values(HOSTILE_VALUES)) expect(text).toContain(value);
    for (const cell of await page.$$('#rows td')) await cell.hover();
    expect([dialogs, errors, requests]).toEqual([[], [], []]);
    await page.close();
  });

  it('with scripts off, every row is there and the controls (which need script) are hidden', async () => {
    const { page } = await open(reports.sync.html, { javascript: false });
    const total = readReport(reports.sync).slice(readReport(reports.sync).indexOf('<section id="all">')).match(/<tr class|<tr data/g)!.length;
    expect(await page.$$eval('#rows tbody tr', (rows) => rows.length)).toBe(total);
    expect(await page.$eval('#controls', (c) => (c as HTMLElement).hidden)).toBe(true);
    expect(await page.$$eval('svg.chart rect', (r) => r.length)).toBeGreaterThan(0);
    await page.close();
  });

  it('what an approver signs: a held --apply run is a run (not a plan), says which safeguards fired and who ran it; rollback rows name their users', async () => {
    const { page } = await open(reports.sync.html);
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('duo-bridge · Sync run');
    const facts = await page.$$eval('dl.facts dt', (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent ?? '']));
    const fact = (label: string): string => facts.find(([l]) => l === label)?.[1] ?? '';
    expect(fact('mode')).toMatch(/^applied with \d+ actions held by a safeguard/);
    expect(fact('safeguards')).toMatch(/^fired: \d+ destructive actions? held/);
    expect(fact('run by')).toMatch(/^\S+ on \S+$/);
    await page.close();
    const rollback = await open(reports.rollback.html);
    const users = await rollback.page.$$eval('#rows tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.firstChild?.textContent ?? ''));
    expect(users.length).toBeGreaterThan(0);
    expect(users.filter((u) => /^D[UG][0-9A-Z]{10,}$/.test(u))).toEqual([]);
    await rollback.page.close();
  });

  it('at the widths people use (a 1366-px laptop, A4 print): nothing runs off the page, and no id is broken across lines in print', async () => {
    for (const name of ['plan', 'migrate', 'import', 'diff', 'rollback', 'sync', 'hostile'] as const) {
      const { page } = await open(reports[name].html);
      await page.setViewport({ width: 1366, height: 768 });
      const laptop = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, width: window.innerWidth }));
      expect({ name, overflows: laptop.page > laptop.width }).toEqual({ name, overflows: false });
      // A4 at 12 mm margins: 186 mm of content, 703 CSS pixels.
      await page.emulateMediaType('print');
      await page.setViewport({ width: 703, height: 1000 });
      const print = await page.evaluate(() => {
        const ids = Array.from(document.querySelectorAll('#rows td small.id')).slice(0, 400) as HTMLElement[];
        const broken = ids.filter((id) => {
          const line = parseFloat(getComputedStyle(id).lineHeight) || 12;
          return id.textContent !== '' && id.getBoundingClientRect().height > line * 1.5;
        }).map((id) => id.textContent);
        const cut = Array.from(document.querySelectorAll('#rows td')).slice(0, 2000).filter((td) => td.scrollWidth > td.clientWidth + 1).map((td) => td.innerHTML.slice(0, 120));
        return { broken: broken.slice(0, 3), cut, page: document.documentElement.scrollWidth };
      });
      expect({ name, ...print }).toEqual({ name, broken: [], cut: [], page: expect.any(Number) });
      expect(print.page).toBeLessThanOrEqual(703);
      await page.close();
    }
  }, 120_000);

  it('prints on A4: a PDF with pages, the table header repeated', async () => {
    const { page } = await open(reports.plan.html);
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    writeFileSync(join(OUTPUT, 'plan.pdf'), pdf);
    const pages = Buffer.from(pdf).toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g) ?? [];
    expect(pages.length).toBeGreaterThan(1);
    await page.emulateMediaType('print');
    expect(await page.$eval('#rows table.head', (t) => getComputedStyle(t).display)).toBe('none');
    expect(await page.$eval('#rows .chunk thead', (t) => getComputedStyle(t).display)).toBe('table-header-group');
    expect(await page.$eval('#controls', (c) => getComputedStyle(c).display)).toBe('none');
    await page.close();
  });
});

describe('a report of 100,000 rows', () => {
  it('opens, filters and sorts; its size and first paint are recorded (not asserted: machines differ)', async () => {
    const rows = 100_000;
    const csv = join(OUTPUT, 'big.csv');
    const lines = ['username,realname,email'];
    for (let i = 1; i <= rows; i++) lines.push(`user${String(i).padStart(6, '0')},Given${i} Sur${i},user${i}@corp.example`);
    writeFileSync(csv, lines.join('\n') + '\n');
    const tenant = join(OUTPUT, 'big-tenant.json');
    writeFileSync(tenant, JSON.stringify({ host: 'api-big.duosecurity.com', exported_at: new Date().toISOString(), users: [], groups: [] }));
    const file = join(OUTPUT, 'big.html');
    const made = await runCli(['plan', csv, '--tenant', tenant, '--report', file]);
    expect(made.exitCode).toBe(0);
    const bytes = statSync(file).size;

    const started = Date.now();
    const { page, errors } = await open(file);
    const loadedMs = Date.now() - started;
    const paint = await page.evaluate(() => performance.getEntriesByType('paint').map((e) => [e.name, Math.round(e.startTime)]));
    expect(await page.$eval('#shown', (e) => e.textContent)).toBe(`${rows} of ${rows} rows shown`);
    let t = Date.now();
    await page.$eval('#search', (input) => {
      (input as HTMLInputElement).value = 'user099999';
      input.dispatchEvent(new Event('input'));
    });
    await page.waitForFunction(() => document.getElementById('shown')!.textContent === `1 of 100000 rows shown`, { timeout: 60_000 });
    const searchMs = Date.now() - t;
    t = Date.now();
    await page.click('#rows thead th:nth-child(2) button');
    await page.click('#rows thead th:nth-child(2) button');
    const sortMs = Date.now() - t;
    expect(await page.$eval('#rows tbody tr:not([hidden]) td:nth-child(2)', (td) => td.firstChild!.textContent)).toBe('user099999');
    expect(errors).toEqual([]);
    const measured = { rows, bytes, bytes_per_row: Math.round(bytes / rows), load_ms: loadedMs, paint_ms: Object.fromEntries(paint), search_ms: searchMs, two_sorts_ms: sortMs };
    writeFileSync(join(OUTPUT, 'big-report.json'), JSON.stringify(measured, null, 2) + '\n');
    console.log(`100,000-row report: ${JSON.stringify(measured)}`);
    await page.close();
  }, 300_000);
});
