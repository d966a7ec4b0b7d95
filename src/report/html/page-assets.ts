import { createHash } from 'node:crypto';

/**
 * The page's own style and script: constants, so the Content-Security-Policy can allow exactly
 * them by hash and nothing else (no inline handler, no injected script, no network).
 */

export const STYLE = `
:root { --ink: #1d2630; --muted: #5b6875; --line: #d5dbe1; --held: #8e44ad; --destructive: #c0392b; --conflict: #b9770e; --failed: #7b241c; --access: #a04000; --routine: #2e86c1; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); margin: 0 auto; max-width: 1280px; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 8px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.chart text { font-size: 12px; fill: var(--ink); }
.chart .bar { fill: var(--routine); }
.chart .bar-held { fill: var(--held); } .chart .bar-destructive { fill: var(--destructive); } .chart .bar-conflict { fill: var(--conflict); } .chart .bar-failed { fill: var(--failed); } .chart .bar-access { fill: var(--access); }
.warnings { margin: 0 0 8px; padding-left: 20px; color: var(--destructive); }
.none { color: var(--muted); font-style: italic; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
.chunk { content-visibility: auto; contain-intrinsic-size: auto 24000px; }
thead.repeat { display: none; }
table.head { position: sticky; top: 0; z-index: 1; }
th, td { text-align: left; vertical-align: top; padding: 3px 6px; border-bottom: 1px solid var(--line); overflow-wrap: anywhere; }
th { background: #eef2f5; font-weight: 600; }
th button { font: inherit; border: 0; background: none; padding: 0; cursor: pointer; color: inherit; }
th[aria-sort="ascending"] button::after { content: " \\25B2"; } th[aria-sort="descending"] button::after { content: " \\25BC"; }
col.c-action { width: 13%; } col.c-user { width: 20%; } col.c-changes { width: 34%; } col.c-reason { width: 27%; } col.c-where { width: 6%; }
td small { display: block; color: var(--muted); }
tr.risk-held td:first-child { border-left: 4px solid var(--held); } tr.risk-destructive td:first-child { border-left: 4px solid var(--destructive); }
tr.risk-conflict td:first-child { border-left: 4px solid var(--conflict); } tr.risk-failed td:first-child { border-left: 4px solid var(--failed); }
tr.risk-access td:first-child { border-left: 4px solid var(--access); }
td p { margin: 0; } td p em { font-style: normal; color: var(--muted); } td p i { color: var(--muted); }
del { background: #fdecea; text-decoration: line-through; } ins { background: #e3f4e1; text-decoration: none; font-weight: 600; }
#controls { display: flex; gap: 12px; align-items: center; margin: 0 0 8px; flex-wrap: wrap; }
#controls[hidden] { display: none; }
#controls input { min-width: 260px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9pt; }
  #controls { display: none; }
  table.head { display: none; }
  thead.repeat { display: table-header-group; }
  .chunk { content-visibility: visible; }
  tr { break-inside: avoid; page-break-inside: avoid; }
  tr[hidden] { display: table-row; }
  h2 { break-after: avoid; }
  th { background: none; border-bottom: 2px solid var(--ink); }
  /* An id is copied from the paper: never broken across lines; the user column is wide enough for one. */
  td small.id { white-space: nowrap; overflow-wrap: normal; font-size: 7.5pt; }
  col.c-action { width: 12%; } col.c-user { width: 24%; } col.c-changes { width: 33%; } col.c-reason { width: 25%; } col.c-where { width: 6%; }
}
`;

/** Filtering, search and sorting over the rows already in the page (it reads nothing else). */
export const SCRIPT = `
(function () {
  var container = document.getElementById('rows');
  if (!container) return;
  var bodies = Array.prototype.slice.call(container.querySelectorAll('tbody'));
  var sizes = bodies.map(function (body) { return body.rows.length; });
  var items = [];
  bodies.forEach(function (body) {
    Array.prototype.forEach.call(body.rows, function (row) { items.push({ row: row, index: items.length, text: null }); });
  });
  var action = document.getElementById('action');
  var search = document.getElementById('search');
  var shown = document.getElementById('shown');
  document.getElementById('controls').hidden = false;
  function text(item) {
    if (item.text === null) item.text = item.row.textContent.toLowerCase();
    return item.text;
  }
  // A chunk with no row left is hidden; the others reserve about their height until laid out.
  function fitChunks() {
    bodies.forEach(function (body) {
      var visible = 0;
      for (var i = 0; i < body.rows.length; i++) if (!body.rows[i].hidden) visible++;
      var chunk = body.parentNode.parentNode;
      chunk.hidden = visible === 0;
      chunk.style.containIntrinsicSize = 'auto ' + (visible * 48) + 'px';
    });
  }
  function apply() {
    var wanted = action.value, query = search.value.trim().toLowerCase(), count = 0;
    for (var i = 0; i < items.length; i++) {
      var row = items[i].row;
      var ok = (wanted === '' || (wanted === '!risk' ? row.className !== '' : row.getAttribute('data-action') === wanted)) &&
        (query === '' || text(items[i]).indexOf(query) >= 0);
      if (row.hidden === ok) row.hidden = !ok;
      if (ok) count++;
    }
    fitChunks();
    shown.textContent = count + ' of ' + items.length + ' rows shown';
  }
  var timer = null;
  action.addEventListener('change', apply);
  search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 120); });
  var headers = container.querySelector('table.head thead').rows[0].cells;
  Array.prototype.forEach.call(headers, function (th, column) {
    th.querySelector('button').addEventListener('click', function () {
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      Array.prototype.forEach.call(headers, function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var numeric = th.hasAttribute('data-numeric');
      var keys = items.map(function (item) {
        var value = item.row.cells[column].textContent;
        return numeric ? (parseFloat(value.replace(/[^0-9.]/g, '')) || 0) : value.toLowerCase();
      });
      var order = items.map(function (item, i) { return i; });
      order.sort(function (a, b) {
        var x = keys[a], y = keys[b];
        var c = x < y ? -1 : x > y ? 1 : items[a].index - items[b].index;
        return ascending ? c : -c;
      });
      items = order.map(function (i) { return items[i]; });
      var next = 0;
      bodies.forEach(function (body, b) {
        var fragment = document.createDocumentFragment();
        for (var i = 0; i < sizes[b]; i++) fragment.appendChild(items[next++].row);
        body.appendChild(fragment);
      });
      fitChunks();
    });
  });
  apply();
})();
`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Nothing from the network, no plugin, no form; only this page's own style and script run. */
export const CONTENT_SECURITY_POLICY =
  `default-src 'none'; style-src ${hash(STYLE)}; script-src ${hash(SCRIPT)}; img-src data:; base-uri 'none'; form-action 'none'`;
