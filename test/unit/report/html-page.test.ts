import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { escapeHtml, html } from '../../../src/report/html/html.js';
import { renderReport } from '../../../src/report/html/page.js';
import { CONTENT_SECURITY_POLICY } from '../../../src/report/html/page-assets.js';
import type { Report, ReportRow } from '../../../src/report/report-model.js';

export const HOSTILE = {
  img: '<img src=x onerror=alert(1)>',
  script: '</script><script>alert(2)</script>',
  url: 'javascript:alert(3)',
  attribute: '" onmouseover="alert(4)',
  entity: '&lt;b&gt; & \'quoted\'',
};

async function page(report: Report): Promise<string> {
  let text = '';
  for await (const piece of renderReport(report)) text += piece;
  return text;
}

function row(over: Partial<ReportRow> = {}): ReportRow {
  return { action: 'create', user: 'jdoe', userId: '', changes: [], reason: '', where: '2', risk: null, ...over };
}

function report(rows: ReportRow[], over: Partial<Report> = {}): Report {
  return { title: 'Plan', facts: [['command', 'duo-bridge plan users.csv']], counts: [{ action: 'create', count: rows.length, risk: null }], warnings: [], rows: () => rows, ...over };
}

describe('escaping', () => {
  it('turns the five markup characters into entities, and nothing else', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    expect(escapeHtml('Zoë Smith-Jones, +1 555 0100')).toBe('Zoë Smith-Jones, +1 555 0100');
  });

  it('escapes every value put into a template; only another template passes as markup', () => {
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"x"'}">${inner}${['<', 1, null, undefined]}</p>`.markup).toBe('<p title="&quot;x&quot;"><b>&lt;i&gt;</b>&lt;1</p>');
  });
});

describe('the page', () => {
  it('shows hostile values from AD, a CSV or Duo as text: no element, attribute or script comes from data', async () => {
    const values = Object.values(HOSTILE);
    const text = await page(report([row({
      user: HOSTILE.img, userId: HOSTILE.attribute, reason: HOSTILE.script, where: HOSTILE.entity, action: HOSTILE.url,
      changes: [{ field: HOSTILE.img, before: HOSTILE.script, after: HOSTILE.url }], risk: 'destructive',
    })], { title: HOSTILE.script, facts: [['source', HOSTILE.img]], warnings: [HOSTILE.script], counts: [{ action: HOSTILE.img, count: 1, risk: null }] }));
    expect(text).not.toContain('<img');
    expect(text.match(/<script\b/g)).toHaveLength(1);
    expect(text.match(/<\/script>/g)).toHaveLength(1);
    // Every attribute value is quoted and its quotes escaped: outside the quotes, no handler or link.
    const tags = text.match(/<[a-z][^>]*>/gi)!.map((tag) => tag.replace(/"[^"]*"/g, '""'));
    expect(tags.filter((tag) => /\s(on\w+|href|src)=/i.test(tag))).toEqual([]);
    expect(text).toContain(escapeHtml(HOSTILE.img));
    expect(text).toContain('&amp;lt;b&amp;gt; &amp; &#39;quoted&#39;');
    for (const value of values) expect(text).toContain(escapeHtml(value));
  });

  it('allows exactly its own style and script by hash, and nothing from the network', async () => {
    const text = await page(report([row()]));
    const style = /<style>([^]*?)<\/style>/.exec(text)![1]!;
    const script = /<script>([^]*?)<\/script>/.exec(text)![1]!;
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
    expect(CONTENT_SECURITY_POLICY).toContain(`style-src ${hash(style)}`);
    expect(CONTENT_SECURITY_POLICY).toContain(`script-src ${hash(script)}`);
    expect(CONTENT_SECURITY_POLICY).toMatch(/^default-src 'none';/);
    expect(text).toContain(`content="${escapeHtml(CONTENT_SECURITY_POLICY)}"`);
    expect(text).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('lists the rows at risk first, apart, and every row below; the chart has one bar per count', async () => {
    const rows = [row({ user: 'routine1' }), row({ action: 'disable', user: 'leaver', risk: 'destructive' }), row({ user: 'routine2' }), row({ action: 'conflict', user: 'clash', risk: 'conflict' })];
    let reads = 0;
    const text = await page(report(rows, {
      rows: () => { reads++; return rows; },
      counts: [{ action: 'create', count: 2, risk: null }, { action: 'disable', count: 1, risk: 'destructive' }, { action: 'conflict', count: 1, risk: 'conflict' }],
    }));
    expect(reads).toBe(2);
    const attention = text.slice(text.indexOf('id="attention"'), text.indexOf('id="all"'));
    expect(attention).toContain('leaver');
    expect(attention).toContain('clash');
    expect(attention).not.toContain('routine1');
    const all = text.slice(text.indexOf('id="all"'));
    expect(all.match(/<tr[ \w="-]*data-action=/g)).toHaveLength(4);
    expect(text.match(/<g data-action=/g)).toHaveLength(3);
    expect(text).toContain('data-action="disable" data-count="1"');
  });

  it('says so when nothing needs attention, and streams rows from an async source', async () => {
    async function* rows() {
      for (let i = 0; i < 3; i++) yield row({ user: `u${i}` });
    }
    const text = await page(report([], { rows }));
    expect(text).toContain('id="attention-none"');
    expect(text.slice(text.indexOf('id="all"')).match(/<tr[ \w="-]*data-action=/g)).toHaveLength(3);
  });
});
