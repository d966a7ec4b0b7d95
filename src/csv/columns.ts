/** Duo Admin Panel "Import Users" columns (README, "validate"), in the order a template lists them. */
export const ALIAS_COLUMNS = ['alias1', 'alias2', 'alias3', 'alias4', 'alias5', 'alias6', 'alias7', 'alias8'] as const;
export const DUO_COLUMNS = [
  'username',
  'realname',
  'firstname',
  'lastname',
  'email',
  ...ALIAS_COLUMNS,
  'status',
  'notes',
] as const;
/** Added by `export` for traceability; `import` ignores them. */
export const TRACE_COLUMNS = ['ad_guid', 'ad_dn'] as const;

export type DuoColumn = (typeof DUO_COLUMNS)[number];
export type TraceColumn = (typeof TRACE_COLUMNS)[number];
export type KnownColumn = DuoColumn | TraceColumn;

export const MAX_ALIASES = ALIAS_COLUMNS.length;
const KNOWN = new Set<string>([...DUO_COLUMNS, ...TRACE_COLUMNS]);

export interface HeaderProblem {
  readonly kind: 'duplicate' | 'unknown' | 'alias-beyond-limit' | 'unnamed';
  readonly index: number;
  readonly name: string;
}

/** Where each known column sits in a record, from a header matched case-insensitively in any order. */
export interface ColumnLayout {
  /** Header names as written in the file (for findings). */
  readonly names: readonly string[];
  readonly index: Readonly<Partial<Record<KnownColumn, number>>>;
  /** Positions of alias1..alias8 present in the header, in alias order: [aliasNumber, cellIndex]. */
  readonly aliases: readonly (readonly [number, number])[];
  readonly problems: readonly HeaderProblem[];
}

export function layoutColumns(header: readonly string[]): ColumnLayout {
  const index: Partial<Record<KnownColumn, number>> = {};
  const seen = new Set<string>();
  const problems: HeaderProblem[] = [];
  header.forEach((raw, i) => {
    const name = raw.trim().toLowerCase();
    if (name === '') problems.push({ kind: 'unnamed', index: i, name: raw });
    else if (seen.has(name)) problems.push({ kind: 'duplicate', index: i, name: raw });
    else if (KNOWN.has(name)) index[name as KnownColumn] = i;
    else if (/^alias\d+$/.test(name)) problems.push({ kind: 'alias-beyond-limit', index: i, name: raw });
    else problems.push({ kind: 'unknown', index: i, name: raw });
    seen.add(name);
  });
  const aliases = ALIAS_COLUMNS.flatMap((column, n) => {
    const at = index[column];
    return at === undefined ? [] : [[n + 1, at] as const];
  });
  return { names: header, index, aliases, problems };
}
