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
      case 'group-beyond-limit':
        out.push(finding({ code: 'TOO_MANY_GROUPS', ...at, message: `Duo allows 100 groups per user; column "${problem.name}" is not imported`,
          fix: 'keep at most 100 group columns (group1 to group100)' }));
        break;
      case 'phone-beyond-limit':
        out.push(finding({ code: 'TOO_MANY_PHONES', ...at, message: `Duo allows 100 phones per user; column "${problem.name}" is not imported`,
          fix: 'keep at most 100 phone columns (phone1 to phone100, platform1 to platform100)' }));
        break;
      case 'platform-without-phone':
        out.push(finding({ code: 'PLATFORM_WITHOUT_PHONE', ...at, message: `column "${problem.name}" has no phone column of the same number and is ignored`,
          fix: `name it after its phone column: platform3 goes with phone3` }));
        break;
      case 'token-beyond-limit':
        out.push(finding({ code: 'TOO_MANY_TOKENS', ...at, message: `Duo allows 100 hardware tokens per user; column "${problem.name}" is not imported`,
          fix: 'keep at most 100 token columns (token1 to token100, type1 to type100)' }));
        break;
      case 'type-without-token':
        out.push(finding({ code: 'TYPE_WITHOUT_TOKEN', ...at, message: `column "${problem.name}" has no token column of the same number and is ignored`,
          fix: 'name it after its token column: type2 goes with token2' }));
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
