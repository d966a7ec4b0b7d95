import { FINDING_SEVERITY, type Finding, type FindingCode } from '../../validate/findings.js';
import type { ValidationResult } from '../../validate/validate-csv.js';
import type { Style } from '../io.js';

export interface FindingsTextOptions {
  /** Findings listed per code; the rest are counted. 0 = all. */
  readonly maxShown: number;
  readonly style: (style: Style, text: string) => string;
}

const CODE_ORDER = Object.keys(FINDING_SEVERITY) as FindingCode[];

/** Findings grouped by code (errors first) with counts, each as file:line. */
export function renderFindingsText(file: string, result: ValidationResult, options: FindingsTextOptions): string {
  const { style } = options;
  const byCode = new Map<FindingCode, Finding[]>();
  for (const f of result.findings) {
    const list = byCode.get(f.code);
    if (list) list.push(f);
    else byCode.set(f.code, [f]);
  }
  const lines: string[] = [];
  const codes = CODE_ORDER.filter((code) => byCode.has(code)).sort(
    (a, b) => Number(FINDING_SEVERITY[a] === 'warning') - Number(FINDING_SEVERITY[b] === 'warning'),
  );
  for (const code of codes) {
    const list = byCode.get(code)!;
    const severity = FINDING_SEVERITY[code];
    lines.push(style(severity === 'error' ? 'red' : 'yellow', `${severity} ${code}`) + ` (${list.length})`);
    const shown = options.maxShown === 0 ? list : list.slice(0, options.maxShown);
    for (const f of shown) {
      const where = f.line === null ? file : `${file}:${f.line}`;
      const column = f.column === null ? '' : ` [${f.column}]`;
      lines.push(`  ${where}${column} ${f.message}`);
      if (f.fix !== null) lines.push(style('dim', `      fix: ${f.fix}`));
    }
    if (shown.length < list.length) {
      lines.push(style('dim', `  … and ${list.length - shown.length} more (all of them with --format json or --report FILE)`));
    }
    lines.push('');
  }
  const verdict = result.errors > 0 ? style('red', 'NOT READY for import') : style('green', 'ready for import');
  const delimiter = result.delimiter === null ? '' : `, delimiter ${result.delimiter === '\t' ? 'tab' : `"${result.delimiter}"`}`;
  lines.push(`${file}: ${result.rows} rows, ${result.errors} errors, ${result.warnings} warnings${delimiter}: ${verdict}`);
  return lines.join('\n') + '\n';
}
