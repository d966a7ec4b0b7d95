import type { CountryCode } from 'libphonenumber-js';
import { layoutColumns, MAX_ALIASES, type ColumnLayout } from '../csv/columns.js';
import { readCsvRecordBatches, type CsvReadEvent } from '../csv/read-records.js';
import { cellRef } from '../csv/cell-ref.js';
import { checkCellKinds } from './cell-kind-rules.js';
import type { Baseline } from './baseline.js';
import { cleanCell } from '../csv/duo-row.js';
import { entryOrder, FindingSpool, spooled, unspooled, type SpooledFinding } from './finding-spool.js';
import { finding, FINDING_SEVERITY, type Finding, type FindingCode } from './findings.js';
import { checkHeader, emptyFile } from './header-rules.js';
import { NameRegistry } from './name-registry.js';
import { DeviceRegistry, sharedPhone, sharedToken } from './device-registry.js';
import { checkRow } from './row-rules.js';

export interface ValidateOptions {
  /** Overrides the delimiter sniffed from the header line. */
  readonly delimiter?: string | undefined;
  /** Most aliases a row may hold; default 8 (Duo's limit). */
  readonly maxAliases?: number | undefined;
  /** The country of phone numbers written without +CC (--default-country). */
  readonly defaultCountry?: CountryCode | undefined;
  /** The file `export` wrote: every cell changed since is listed, a spreadsheet's damage as an error. */
  readonly baseline?: Baseline | undefined;
  /** Findings kept in memory per code, for a text summary (the first by line); default 20. */
  readonly keepPerCode?: number | undefined;
  /**
   * Reads the file again: the names are kept as fingerprints, and the first sighting of a name
   * seen twice is re-read from its row for the finding. Without it, that cell reads as the name
   * that repeated it (the same, but for case and white space).
   */
  readonly reread?: (() => Promise<AsyncIterable<CsvReadEvent[]>>) | undefined;
}

export interface ValidationResult {
  /** Data records read (blank lines and rows of only empty cells are not records). */
  readonly rows: number;
  readonly errors: number;
  readonly warnings: number;
  /** The delimiter used, sniffed or given; null for an empty file ('' for a spreadsheet). */
  readonly delimiter: string | null;
  /** The worksheet read, for a spreadsheet; else null. */
  readonly sheet: string | null;
  /** How many findings of each code. */
  readonly counts: ReadonlyMap<FindingCode, number>;
  /** The first `keepPerCode` findings of each code, by line. */
  readonly sample: ReadonlyMap<FindingCode, readonly Finding[]>;
  /** Every finding, sorted by line (then column, then code), read back from disk: call as often as needed. */
  findings(): AsyncIterable<Finding>;
  /** The same, each as the compact JSON of `--format json` (the contract's keys), without parsing it back. */
  findingsJson(): AsyncIterable<string>;
  /** Removes what findings() reads from. */
  dispose(): Promise<void>;
}

/**
 * Checks a Duo CSV and reports every problem as a finding; never throws on bad input. Streams the
 * file, and memory holds no list of findings whatever their number: row findings go to a spool file
 * as they are found (already in line order), the few header and file findings and the duplicate-name
 * findings (which only exist for names seen twice) are sorted, and findings() merges the three.
 */
export function validateCsv(source: AsyncIterable<Buffer | string>, options: ValidateOptions = {}): Promise<ValidationResult> {
  return validateRecords(readCsvRecordBatches(source, { delimiter: options.delimiter }), options);
}

/** The cells of the first sightings of repeated names, read again from the file (one pass, only those rows kept). */
async function rereadFirstSightings(registry: NameRegistry, layout: ColumnLayout, reread: () => Promise<AsyncIterable<CsvReadEvent[]>>): Promise<void> {
  const wanted = registry.wanted();
  if (wanted.size === 0) return;
  const columnOf = new Map<number, number>([[0, layout.index.username!], ...layout.aliases.map(([n, at]) => [n, at] as [number, number])]);
  for await (const batch of await reread()) {
    for (const event of batch) {
      if (event.type !== 'record') continue;
      const slots = wanted.get(event.row);
      if (slots === undefined) continue;
      for (const [slot, occurrences] of slots) for (const o of occurrences) o.value = cleanCell(event.cells[columnOf.get(slot)!]).value;
      wanted.delete(event.row);
      if (wanted.size === 0) return;
    }
  }
}

/** The same on records from any reader (a CSV, or a worksheet: openRecordBatches). */
export async function validateRecords(batches: AsyncIterable<CsvReadEvent[]>, options: Omit<ValidateOptions, 'delimiter'> = {}): Promise<ValidationResult> {
  let rowOptions = { maxAliases: options.maxAliases ?? MAX_ALIASES, defaultCountry: options.defaultCountry, phones: null as DeviceRegistry | null, tokens: null as DeviceRegistry | null };
  const tally = new Tally(options.keepPerCode ?? 20);
  const spool = new FindingSpool();
  const fileFindings: Finding[] = [];
  let layout: ColumnLayout | null = null;
  let order = findingOrder(null);
  let columnRank = columnRanks(null);
  let registry: NameRegistry | null = null;
  let delimiter: string | null = null;
  let sheet: string | null = null;
  let located = (f: Finding): Finding => f;
  let rows = 0;
  const rowFindings: Finding[] = [];

  try {
    for await (const batch of batches) {
      for (const event of batch) {
        switch (event.type) {
          case 'header':
            layout = layoutColumns(event.cells);
            order = findingOrder(layout);
            columnRank = columnRanks(layout);
            delimiter = event.delimiter;
            sheet = event.sheet ?? null;
            if (sheet !== null) located = cellLocator(layout);
            // Never spread a list whose length the input decides (a header of 130,000 columns): push one by one.
            for (const f of checkHeader(layout, event.line, event.delimiter)) fileFindings.push(f);
            if (layout.index.username !== undefined) registry = new NameRegistry(slotColumns(layout));
            if (layout.phones.length > 0) rowOptions = { ...rowOptions, phones: new DeviceRegistry(numberedColumns(layout.phones, layout, 'phone'), sharedPhone) };
            if (layout.tokens.length > 0) rowOptions = { ...rowOptions, tokens: new DeviceRegistry(numberedColumns(layout.tokens, layout, 'token'), sharedToken) };
            break;
          case 'record':
            rows++;
            if (layout !== null && registry !== null) {
              checkRow(event.cells, event.line, event.row, layout, registry, rowOptions, rowFindings, event.fields);
              if (event.kinds !== undefined) checkCellKinds(event.cells, event.kinds, event.line, event.row, layout, rowFindings);
              if (options.baseline) for (const f of options.baseline.compare(event.cells.map((c) => cleanCell(c).value), event.line, event.row, layout)) rowFindings.push(f);
              if (rowFindings.length > 0) {
                rowFindings.sort(order);
                for (const raw of rowFindings) {
                  const f = located(raw);
                  tally.add(f, order);
                  const writing = spool.add(spooled(f, columnRank(f), CODE_RANK.get(f.code)!));
                  if (writing) await writing;
                }
                rowFindings.length = 0;
              }
            }
            break;
          case 'problem':
            fileFindings.push(finding({ code: event.problem.code, line: event.problem.line, message: event.problem.message }));
            break;
        }
      }
    }
    if (layout === null && !fileFindings.some((f) => f.code === 'MALFORMED_CSV' || f.code === 'INVALID_ENCODING')) fileFindings.push(emptyFile());
    const broken = fileFindings.some((f) => f.code === 'MALFORMED_CSV');
    if (registry !== null && layout !== null && !broken && options.reread) await rereadFirstSightings(registry, layout, options.reread);
    const names = registry !== null && !broken ? [...registry.findings(), ...(rowOptions.phones?.findings() ?? []), ...(rowOptions.tokens?.findings() ?? [])].map(located).sort(order) : [];
    if (options.baseline && !broken) for (const f of options.baseline.missing()) fileFindings.push(f);
    fileFindings.sort(order);
    fileFindings.forEach((f, i) => (fileFindings[i] = located(f)));
    for (const f of [...fileFindings, ...names]) tally.add(f, order);
    const held = [fileFindings, names].map((list) => list.map((f) => spooled(f, columnRank(f), CODE_RANK.get(f.code)!)));
    const entries = (): AsyncIterable<SpooledFinding> => mergeSorted([spool.read(), ...held], entryOrder);

    return {
      rows,
      errors: tally.errors,
      warnings: tally.warnings,
      delimiter,
      sheet,
      counts: tally.counts,
      sample: tally.sample,
      findings: () => mapAsync(entries(), unspooled),
      findingsJson: () => mapAsync(entries(), (entry) => entry.json),
      dispose: () => spool.dispose(),
    };
  } catch (error) {
    await spool.dispose();
    throw error;
  }
}

/** Counts per code and the first N of each code by line, whatever order they are added in. */
class Tally {
  readonly counts = new Map<FindingCode, number>();
  readonly sample = new Map<FindingCode, Finding[]>();
  errors = 0;
  warnings = 0;

  constructor(private readonly keep: number) {}

  add(f: Finding, order: (a: Finding, b: Finding) => number): void {
    this.counts.set(f.code, (this.counts.get(f.code) ?? 0) + 1);
    if (f.severity === 'error') this.errors++;
    else this.warnings++;
    if (this.keep === 0) return;
    const kept = this.sample.get(f.code) ?? [];
    this.sample.set(f.code, kept);
    if (kept.length === this.keep && order(f, kept[kept.length - 1]!) >= 0) return;
    let at = kept.length;
    while (at > 0 && order(f, kept[at - 1]!) < 0) at--;
    kept.splice(at, 0, f);
    if (kept.length > this.keep) kept.pop();
  }
}

/** A k-way merge of sorted sources into one sorted stream. */
async function* mergeSorted<T>(sources: (AsyncIterable<T> | Iterable<T>)[], order: (a: T, b: T) => number): AsyncGenerator<T> {
  const iterators = sources.map((s) => (Symbol.asyncIterator in s ? s[Symbol.asyncIterator]() : toAsync(s[Symbol.iterator]())));
  const heads = await Promise.all(iterators.map((it) => it.next()));
  for (;;) {
    let best = -1;
    heads.forEach((head, i) => {
      if (!head.done && (best === -1 || order(head.value, (heads[best] as IteratorYieldResult<T>).value) < 0)) best = i;
    });
    if (best === -1) return;
    yield (heads[best] as IteratorYieldResult<T>).value;
    heads[best] = await iterators[best]!.next();
  }
}

function toAsync<T>(iterator: Iterator<T>): AsyncIterator<T> {
  return { next: async () => iterator.next() };
}

async function* mapAsync<T, U>(source: AsyncIterable<T>, map: (value: T) => U): AsyncGenerator<U> {
  for await (const value of source) yield map(value);
}

const CODE_RANK = new Map(Object.keys(FINDING_SEVERITY).map((code, i) => [code as FindingCode, i]));

/** Where a finding's column stands in the header (line-wide findings first). */
function columnRanks(layout: ColumnLayout | null): (f: Finding) => number {
  const position = new Map<string, number>();
  layout?.names.forEach((name, i) => position.has(name) || position.set(name, i));
  return (f) => (f.column === null ? -1 : position.get(f.column) ?? -1);
}

/** By line, then left to right along the row (line-wide findings first), then by code. */
function findingOrder(layout: ColumnLayout | null): (a: Finding, b: Finding) => number {
  const columnRank = columnRanks(layout);
  return (a, b) =>
    (a.line ?? 0) - (b.line ?? 0) || columnRank(a) - columnRank(b) || CODE_RANK.get(a.code)! - CODE_RANK.get(b.code)!;
}

/** In a spreadsheet a finding also names its cell: the column's letters and the sheet row. */
function cellLocator(layout: ColumnLayout): (f: Finding) => Finding {
  const position = new Map<string, number>();
  layout.names.forEach((name, i) => position.has(name) || position.set(name, i));
  return (f) => {
    const at = f.column === null ? undefined : position.get(f.column);
    return at === undefined || f.line === null ? f : { ...f, cell: cellRef(at, f.line) };
  };
}

function numberedColumns(columns: ColumnLayout['phones'], layout: ColumnLayout, prefix: string): (n: number) => string {
  const names = new Map(columns.map(([n, at]) => [n, layout.names[at]!]));
  return (n) => names.get(n) ?? `${prefix}${n}`;
}

function slotColumns(layout: ColumnLayout): string[] {
  const columns = [layout.names[layout.index.username!]!];
  for (const [n, at] of layout.aliases) columns[n] = layout.names[at]!;
  return columns;
}
