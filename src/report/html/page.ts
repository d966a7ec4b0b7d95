import { type Report, type ReportChange, type ReportCount, type ReportRow, type Risk } from '../report-model.js';
import { CONTENT_SECURITY_POLICY, SCRIPT, STYLE } from './page-assets.js';
import { html, trusted, type Html } from './html.js';

/**
 * The one template: a report as one self-contained HTML page, produced piece by piece (a row at a
 * time) so a large report is streamed to its file. Readable with scripts off; the script only
 * filters and sorts the rows already there.
 */

const RISK_LABEL: Record<Risk, string> = { held: 'held by a safeguard', destructive: 'destructive', conflict: 'conflict', failed: 'failed', access: 'gives access back' };

export async function* renderReport(report: Report): AsyncIterable<string> {
  yield html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="duo-bridge">
<title>duo-bridge · ${report.title}</title>
<style>${trusted(STYLE)}</style>
</head><body>
<header><h1>duo-bridge · ${report.title}</h1>
<dl class="facts">${report.facts.map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl></header>
<section id="summary"><h2>Counts by action</h2>
${chart(report.counts)}
</section>
`.markup;

  yield html`<section id="attention"><h2>Needs attention first</h2>
${report.warnings.length > 0 ? html`<ul class="warnings">${report.warnings.map((w) => html`<li>${w}</li>`)}</ul>` : ''}
`.markup;
  const atRisk = yield* rowsTable('attention-rows', filter(report.rows(), (row) => row.risk !== null), false);
  if (atRisk === 0) yield html`<p class="none" id="attention-none">Nothing destructive, held, conflicting, failed or giving access back.</p>`.markup;
  yield html`</section>
<section id="all"><h2>Every row</h2>
<div id="controls" hidden>
<label>Action <select id="action"><option value="">all</option><option value="!risk">needs attention</option>${report.counts.map((c) => html`<option value="${c.action}">${c.action}</option>`)}</select></label>
<label>Search <input id="search" type="search" placeholder="user, value, reason…"></label>
<span id="shown" aria-live="polite"></span>
</div>
`.markup;
  const total = yield* rowsTable('rows', report.rows(), true);
  yield html`${total === 0 ? html`<p class="none">No rows.</p>` : ''}
</section>
<script>${trusted(SCRIPT)}</script>
</body></html>
`.markup;
}

async function* filter(rows: Iterable<ReportRow> | AsyncIterable<ReportRow>, keep: (row: ReportRow) => boolean): AsyncIterable<ReportRow> {
  for await (const row of rows) if (keep(row)) yield row;
}

/**
 * Rows in tables of CHUNK rows, one after the other, aligned by fixed column widths: the browser
 * lays out only the chunks near the screen (content-visibility), so 100,000 rows open in a second
 * or two instead of half a minute. On screen one header stays at the top (with the sort buttons
 * of the table the script drives); in print each chunk repeats its own on every page.
 */
async function* rowsTable(id: string, rows: Iterable<ReportRow> | AsyncIterable<ReportRow>, sortable: boolean): AsyncGenerator<string, number> {
  let count = 0;
  let chunk = '';
  for await (const row of rows) {
    if (count === 0) chunk += html`<div class="table" id="${id}"><table class="head">${COLUMNS}<thead>${headerRow(sortable)}</thead></table>\n`.markup;
    if (count % CHUNK === 0) chunk += html`${count === 0 ? '' : html`</tbody></table></div>\n`}<div class="chunk"><table>${COLUMNS}<thead class="repeat">${headerRow(false)}</thead>\n<tbody>\n`.markup;
    chunk += rowHtml(row).markup;
    count++;
    if (chunk.length > 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (count > 0) chunk += '</tbody></table></div></div>\n';
  yield chunk;
  return count;
}

const CHUNK = 500;
const COLUMNS = html`<colgroup><col class="c-action"><col class="c-user"><col class="c-changes"><col class="c-reason"><col class="c-where"></colgroup>`;
const HEADINGS = ['Action', 'User', 'Before → after', 'Reason', 'Line'];

function headerRow(sortable: boolean): Html {
  return html`<tr>${HEADINGS.map((heading) => html`<th scope="col"${heading === 'Line' ? html` data-numeric` : ''}>${sortable ? html`<button type="button">${heading}</button>` : heading}</th>`)}</tr>`;
}

function rowHtml(row: ReportRow): Html {
  return html`<tr${row.risk === null ? '' : html` class="risk-${row.risk}"`} data-action="${row.action}"><td>${row.action}${row.risk === null ? '' : html`<small>${RISK_LABEL[row.risk]}</small>`}</td><td>${row.user}${row.userId === '' ? '' : html`<small class="id">${row.userId}</small>`}</td><td>${row.changes.map(change)}</td><td>${row.reason}</td><td>${row.where}</td></tr>
`;
}

function change(c: ReportChange): Html {
  return html`<p><em>${c.field}</em> ${c.before === '' ? html`<i>(none)</i>` : html`<del>${c.before}</del>`} → ${c.after === '' ? html`<i>(none)</i>` : html`<ins>${c.after}</ins>`}</p>`;
}

/** Bars of the counts by action, drawn here as inline SVG (readable without script). */
function chart(ordered: readonly ReportCount[]): Html {
  if (ordered.length === 0) return html`<p class="none">Nothing to do.</p>`;
  const most = Math.max(...ordered.map((c) => c.count), 1);
  const labelWidth = 190;
  const barSpace = 420;
  const rowHeight = 24;
  const height = ordered.length * rowHeight + 8;
  const summary = ordered.map((c) => `${c.action} ${c.count}`).join(', ');
  return html`<svg class="chart" role="img" aria-label="${summary}" width="${labelWidth + barSpace + 90}" height="${height}" viewBox="0 0 ${labelWidth + barSpace + 90} ${height}" xmlns="http://www.w3.org/2000/svg">
${ordered.map((c, i) => {
  const y = 4 + i * rowHeight;
  const width = c.count === 0 ? 0 : Math.max(2, Math.round((c.count / most) * barSpace));
  return html`<g data-action="${c.action}" data-count="${c.count}"><text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${c.action}</text><rect class="bar${c.risk === null ? '' : ` bar-${c.risk}`}" x="${labelWidth}" y="${y + 3}" width="${width}" height="${rowHeight - 8}"></rect><text x="${labelWidth + width + 6}" y="${y + 15}">${c.count.toLocaleString('en-US')}</text></g>
`;
})}</svg>`;
}
