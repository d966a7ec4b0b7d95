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
/** Duo's per-user limits (duo.com/docs/rate-limits): 100 groups, phones and tokens; numbered columns go as far. */
export const MAX_GROUPS = 100;
export const MAX_PHONES = 100;
export const MAX_TOKENS = 100;
const KNOWN = new Set<string>([...DUO_COLUMNS, ...TRACE_COLUMNS]);
/** groupN, phoneN, platformN, tokenN, typeN: Duo's "Import Users" names for what a user carries besides names. */
const NUMBERED = /^(group|phone|platform|token|type)(\d+)$/;

export interface HeaderProblem {
  readonly kind: 'duplicate' | 'unknown' | 'alias-beyond-limit' | 'group-beyond-limit' | 'phone-beyond-limit' | 'platform-without-phone'
    | 'token-beyond-limit' | 'type-without-token' | 'unnamed';
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
  /** group1..group100 present, in number order: [groupNumber, cellIndex]. */
  readonly groups: readonly (readonly [number, number])[];
  /** phone1..phone100 present, in number order: [phoneNumber, cellIndex, platformCellIndex | undefined]. */
  readonly phones: readonly (readonly [number, number, number | undefined])[];
  /** token1..token100 present, in number order: [tokenNumber, serialCellIndex, typeCellIndex | undefined]. */
  readonly tokens: readonly (readonly [number, number, number | undefined])[];
  readonly problems: readonly HeaderProblem[];
}

export function layoutColumns(header: readonly string[]): ColumnLayout {
  const index: Partial<Record<KnownColumn, number>> = {};
  const seen = new Set<string>();
  const problems: HeaderProblem[] = [];
  const numbered = { group: new Map<number, number>(), phone: new Map<number, number>(), platform: new Map<number, number>(), token: new Map<number, number>(), type: new Map<number, number>() };
  header.forEach((raw, i) => {
    const name = raw.trim().toLowerCase();
    const counted = NUMBERED.exec(name);
    const n = counted ? Number(counted[2]) : 0;
    if (name === '') problems.push({ kind: 'unnamed', index: i, name: raw });
    else if (seen.has(name)) problems.push({ kind: 'duplicate', index: i, name: raw });
    else if (KNOWN.has(name)) index[name as KnownColumn] = i;
    else if (counted && n >= 1 && counted[1] === 'group') {
      if (n <= MAX_GROUPS) numbered.group.set(n, i);
      else problems.push({ kind: 'group-beyond-limit', index: i, name: raw });
    } else if (counted && n >= 1 && (counted[1] === 'token' || counted[1] === 'type')) {
      if (n <= MAX_TOKENS) numbered[counted[1]].set(n, i);
      else problems.push({ kind: 'token-beyond-limit', index: i, name: raw });
    } else if (counted && n >= 1) {
      if (n <= MAX_PHONES) numbered[counted[1] as 'phone' | 'platform'].set(n, i);
      else problems.push({ kind: 'phone-beyond-limit', index: i, name: raw });
    }
    else if (/^alias\d+$/.test(name)) problems.push({ kind: 'alias-beyond-limit', index: i, name: raw });
    else problems.push({ kind: 'unknown', index: i, name: raw });
    seen.add(name);
  });
  const aliases = ALIAS_COLUMNS.flatMap((column, n) => {
    const at = index[column];
    return at === undefined ? [] : [[n + 1, at] as const];
  });
  const inOrder = (columns: Map<number, number>): [number, number][] => [...columns].sort(([a], [b]) => a - b);
  const groups = inOrder(numbered.group);
  const phones = inOrder(numbered.phone).map(([n, at]) => [n, at, numbered.platform.get(n)] as const);
  const tokens = inOrder(numbered.token).map(([n, at]) => [n, at, numbered.type.get(n)] as const);
  for (const [n, at] of numbered.platform) if (!numbered.phone.has(n)) problems.push({ kind: 'platform-without-phone', index: at, name: header[at]! });
  for (const [n, at] of numbered.type) if (!numbered.token.has(n)) problems.push({ kind: 'type-without-token', index: at, name: header[at]! });
  problems.sort((a, b) => a.index - b.index);
  return { names: header, index, aliases, groups, phones, tokens, problems };
}
