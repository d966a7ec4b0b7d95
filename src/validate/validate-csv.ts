import { layoutColumns, MAX_ALIASES, type ColumnLayout } from '../csv/columns.js';
import { readCsvRecords } from '../csv/read-records.js';
import { finding, FINDING_SEVERITY, type Finding, type FindingCode } from './findings.js';
import { checkHeader, emptyFile } from './header-rules.js';
import { NameRegistry } from './name-registry.js';
import { checkRow } from './row-rules.js';

export interface ValidateOptions {
  /** Overrides the delimiter sniffed from the header line. */
  readonly delimiter?: string | undefined;
  /** Most aliases a row may hold; default 8 (Duo's limit). */
  readonly maxAliases?: number | undefined;
}

export interface ValidationResult {
  /** Data records read (blank lines and rows of only empty cells are not records). */
  readonly rows: number;
  readonly errors: number;
  readonly warnings: number;
  /** Sorted by line. */
  readonly findings: readonly Finding[];
  /** The delimiter used, sniffed or given; null for an empty file. */
  readonly delimiter: string | null;
}

/**
 * Checks a Duo CSV and reports every problem as a finding; never throws on bad input.
 * Streams the file: memory holds the findings and one Map of names.
 */
export async function validateCsv(
  source: AsyncIterable<Buffer | string>,
  options: ValidateOptions = {},
): Promise<ValidationResult> {
  const maxAliases = options.maxAliases ?? MAX_ALIASES;
  const findings: Finding[] = [];
  let layout: ColumnLayout | null = null;
  let registry: NameRegistry | null = null;
  let delimiter: string | null = null;
  let rows = 0;

  for await (const event of readCsvRecords(source, { delimiter: options.delimiter })) {
    switch (event.type) {
      case 'header':
        layout = layoutColumns(event.cells);
        delimiter = event.delimiter;
        findings.push(...checkHeader(layout, event.line, event.delimiter));
        if (layout.index.username !== undefined) registry = new NameRegistry(slotColumns(layout));
        break;
      case 'record':
        rows++;
        if (layout !== null && registry !== null) {
          checkRow(event.cells, event.line, event.row, layout, registry, { maxAliases }, findings);
        }
        break;
      case 'problem':
        findings.push(finding({ code: event.problem.code, line: event.problem.line, message: event.problem.message }));
        break;
    }
  }
  if (layout === null && !findings.some((f) => f.code === 'MALFORMED_CSV' || f.code === 'INVALID_ENCODING')) {
    findings.push(emptyFile());
  }
  if (registry !== null && !findings.some((f) => f.code === 'MALFORMED_CSV')) findings.push(...registry.findings());

  findings.sort(findingOrder(layout));
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { rows, errors, warnings: findings.length - errors, findings, delimiter };
}

const CODE_RANK = new Map(Object.keys(FINDING_SEVERITY).map((code, i) => [code as FindingCode, i]));

/** By line, then left to right along the row (line-wide findings first), then by code. */
function findingOrder(layout: ColumnLayout | null): (a: Finding, b: Finding) => number {
  const position = new Map<string, number>();
  layout?.names.forEach((name, i) => position.has(name) || position.set(name, i));
  const columnRank = (f: Finding): number => (f.column === null ? -1 : position.get(f.column) ?? -1);
  return (a, b) =>
    (a.line ?? 0) - (b.line ?? 0) || columnRank(a) - columnRank(b) || CODE_RANK.get(a.code)! - CODE_RANK.get(b.code)!;
}

function slotColumns(layout: ColumnLayout): string[] {
  const columns = [layout.names[layout.index.username!]!];
  for (const [n, at] of layout.aliases) columns[n] = layout.names[at]!;
  return columns;
}
