export type Severity = 'error' | 'warning';

/** The stable list of finding codes (README, "validate"); add new ones, never rename one. */
export const FINDING_SEVERITY = {
  MALFORMED_CSV: 'error',
  INVALID_ENCODING: 'error',
  MISSING_USERNAME_COLUMN: 'error',
  DUPLICATE_COLUMN: 'error',
  FIELD_COUNT: 'error',
  BLANK_USERNAME: 'error',
  DUPLICATE_USERNAME: 'error',
  DUPLICATE_ALIAS: 'error',
  ALIAS_IS_USERNAME: 'error',
  INVALID_EMAIL: 'error',
  INVALID_STATUS: 'error',
  TOO_MANY_ALIASES: 'error',
  UNKNOWN_COLUMN: 'warning',
  WHITESPACE: 'warning',
  ALIAS_SAME_AS_USERNAME: 'warning',
  FORMULA_PREFIX: 'warning',
  SCIENTIFIC_NOTATION: 'warning',
  ALIAS_SPECIAL_CHARACTER: 'warning',
  INVALID_PHONE: 'error',
  PHONE_NEEDS_COUNTRY: 'error',
  UNKNOWN_PLATFORM: 'error',
  TOO_MANY_GROUPS: 'error',
  TOO_MANY_PHONES: 'error',
  DUPLICATE_GROUP: 'warning',
  DUPLICATE_PHONE: 'warning',
  SHARED_PHONE: 'warning',
  PLATFORM_WITHOUT_PHONE: 'warning',
  XLSX_FORMULA: 'error',
  DATE_CELL: 'error',
  NUMBER_CELL: 'warning',
  SPREADSHEET_DAMAGE: 'error',
  CHANGED_SINCE_EXPORT: 'warning',
  CONTROL_CHARACTER: 'error',
  XLSX_UNREADABLE_CELL: 'error',
  TYPE_LINE: 'warning',
  INVALID_TOKEN_TYPE: 'error',
  TOKEN_WITHOUT_SERIAL: 'error',
  TOO_MANY_TOKENS: 'error',
  DUPLICATE_TOKEN: 'warning',
  SHARED_TOKEN: 'error',
  TYPE_WITHOUT_TOKEN: 'warning',
  INVISIBLE_CHARACTER: 'error',
  VALUE_TOO_LONG: 'error',
  CONFUSABLE_NAME: 'warning',
} as const satisfies Record<string, Severity>;

export type FindingCode = keyof typeof FINDING_SEVERITY;

export interface Finding {
  readonly severity: Severity;
  readonly code: FindingCode;
  /** Physical line where the record starts (header = 1); null only when no line applies. */
  readonly line: number | null;
  /** Data record index (first after the header = 1); null for file-level findings. */
  readonly row: number | null;
  /** Header name as written in the file. */
  readonly column: string | null;
  readonly value: string | null;
  readonly message: string;
  /** What to do about it, when there is a clear answer. */
  readonly fix: string | null;
  /** The other lines involved, ascending (capped at MAX_RELATED_LINES). */
  readonly related_lines: readonly number[];
  /** In a spreadsheet, the cell (C7), where a column applies. */
  readonly cell?: string;
  /** With --baseline: the value in the export, beside `value`, the value now. */
  readonly previous?: string;
}

/** Enough to find the rows in a spreadsheet without a 10,000-row duplicate set costing O(n²) output. */
export const MAX_RELATED_LINES = 20;

export interface FindingInit {
  readonly code: FindingCode;
  readonly line: number | null;
  readonly row?: number | null;
  readonly column?: string | null;
  readonly value?: string | null;
  readonly message: string;
  readonly fix?: string | null;
  readonly related_lines?: readonly number[];
  readonly previous?: string;
}

export function finding(init: FindingInit): Finding {
  return {
    severity: FINDING_SEVERITY[init.code],
    code: init.code,
    line: init.line,
    row: init.row ?? null,
    column: init.column ?? null,
    value: init.value ?? null,
    message: init.message,
    fix: init.fix ?? null,
    related_lines: init.related_lines ?? [],
    ...(init.previous === undefined ? {} : { previous: init.previous }),
  };
}
