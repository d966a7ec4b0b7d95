import { counted } from '../progress.js';
import { FINDING_SEVERITY, type Finding, type FindingCode } from '../../validate/findings.js';
import type { ValidationResult } from '../../validate/validate-csv.js';
import type { Style } from '../io.js';

export interface FindingsTextOptions {
  /** Findings listed per code; the rest are counted. 0 = all. */
  readonly maxShown: number;
  readonly style: (style: Style, text: string) => string;
}

const CODE_ORDER = Object.keys(FINDING_SEVERITY) as FindingCode[];

/**
 * Findings grouped by code (errors first) with counts, each as file:line, a chunk per code. The
 * first findings of each code come from the result's sample; listing all of them (maxShown 0)
 * reads them back from disk, one pass per code.
 */
export async function* renderFindingsText(file: string, result: ValidationResult, options: FindingsTextOptions): AsyncGenerator<string> {
  const { style } = options;
  const codes = CODE_ORDER.filter((code) => result.counts.has(code)).sort(
    (a, b) => Number(FINDING_SEVERITY[a] === 'warning') - Number(FINDING_SEVERITY[b] === 'warning'),
  );
  for (const code of codes) {
    const total = result.counts.get(code)!;
    const severity = FINDING_SEVERITY[code];
    const lines = [style(severity === 'error' ? 'red' : 'yellow', `${severity} ${code}`) + ` (${total})`];
    const sample = result.sample.get(code) ?? [];
    const all = options.maxShown === 0 || options.maxShown > sample.length;
    const shown: Iterable<Finding> | AsyncIterable<Finding> = all && sample.length < total ? ofCode(result, code) : sample.slice(0, options.maxShown || undefined);
    let listed = 0;
    for await (const f of shown) {
      if (options.maxShown !== 0 && listed === options.maxShown) break;
      listed++;
      const where = f.line === null ? file : `${file}:${f.line}`;
      const column = f.column === null ? '' : ` [${f.column}${f.cell ? `, cell ${f.cell}` : ''}]`;
      lines.push(`  ${where}${column} ${f.message}`);
      if (f.fix !== null) lines.push(style('dim', `      fix: ${f.fix}`));
    }
    if (listed < total) lines.push(style('dim', `  … and ${total - listed} more (all of them with --format json or --report FILE)`));
    yield lines.join('\n') + '\n\n';
  }
  const verdict = result.errors > 0 ? style('red', 'NOT READY for import') : style('green', 'ready for import');
  const delimiter = result.sheet !== null ? `, sheet "${result.sheet}"` : result.delimiter === null ? '' : `, delimiter ${result.delimiter === '\t' ? 'tab' : `"${result.delimiter}"`}`;
  yield `${file}: ${counted(result.rows, 'row')}, ${counted(result.errors, 'error')}, ${counted(result.warnings, 'warning')}${delimiter}: ${verdict}\n`;
}

async function* ofCode(result: ValidationResult, code: FindingCode): AsyncGenerator<Finding> {
  for await (const f of result.findings()) if (f.code === code) yield f;
}
