import type { ColumnLayout } from '../csv/columns.js';
import { DUO_COLUMNS } from '../csv/columns.js';
import { finding, type Finding } from './findings.js';

const TEMPLATE_HEADER = DUO_COLUMNS.join(',');

export function checkHeader(layout: ColumnLayout, line: number, delimiter: string): Finding[] {
  const out: Finding[] = [];
  if (layout.index.username === undefined) out.push(missingUsername(layout, line, delimiter));
  for (const problem of layout.problems) {
    const at = { line, row: null, column: problem.name };
    switch (problem.kind) {
      case 'duplicate':
        out.push(finding({ code: 'DUPLICATE_COLUMN', ...at, message: `column "${problem.name}" appears twice in the header; only the first one is read`,
          fix: 'delete or rename one of the two columns' }));
        break;
      case 'alias-beyond-limit':
        out.push(finding({ code: 'TOO_MANY_ALIASES', ...at, message: `Duo accepts alias1 to alias8; column "${problem.name}" is not imported`,
          fix: 'keep at most 8 aliases per user' }));
        break;
      case 'unknown':
        out.push(finding({ code: 'UNKNOWN_COLUMN', ...at, message: `column "${problem.name}" is not a Duo column and is ignored` }));
        break;
      case 'unnamed':
        out.push(finding({ code: 'UNKNOWN_COLUMN', ...at, message: `column ${problem.index + 1} has no name in the header and is ignored` }));
        break;
    }
  }
  return out;
}

export function emptyFile(): Finding {
  return finding({ code: 'MISSING_USERNAME_COLUMN', line: 1, message: 'the file is empty: it has no header line',
    fix: `start from templates/users.csv; the header is ${TEMPLATE_HEADER}` });
}

function missingUsername(layout: ColumnLayout, line: number, delimiter: string): Finding {
  const only = layout.names.length === 1 ? layout.names[0]! : '';
  const otherDelimiter = [',', ';', '\t'].find((d) => d !== delimiter && only.includes(d));
  const fix = otherDelimiter
    ? `the header looks ${otherDelimiter === '\t' ? 'tab' : `"${otherDelimiter}"`}-separated: pass --delimiter`
    : `the first line must be a header naming the columns, e.g. ${TEMPLATE_HEADER}`;
  return finding({ code: 'MISSING_USERNAME_COLUMN', line, message: 'the header has no "username" column', fix });
}
