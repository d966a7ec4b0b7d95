// The public API of duo-bridge as a library. Anything not listed here is internal and may change.
export { DuoBridgeError, DataError, UsageError, RemoteError, LdapError, DuoApiError } from './errors.js';
export { nameKey } from './names.js';
export { openInputFile } from './input-file.js';
export { writeFileAtomically } from './atomic-file.js';

export { DUO_COLUMNS, ALIAS_COLUMNS, TRACE_COLUMNS, MAX_ALIASES, layoutColumns } from './csv/columns.js';
export type { DuoColumn, TraceColumn, KnownColumn, ColumnLayout } from './csv/columns.js';
export { escapeFormula, unescapeFormula } from './csv/formula.js';
export { readCsvRecords } from './csv/read-records.js';
export type { CsvReadEvent, CsvProblem, CsvReadOptions } from './csv/read-records.js';
export { readDuoUserRows, toDuoUserRow } from './csv/duo-row.js';
export type { DuoUserRow } from './csv/duo-row.js';
export { createCsvWriter } from './csv/write-csv.js';

export { validateCsv } from './validate/validate-csv.js';
export type { ValidateOptions, ValidationResult } from './validate/validate-csv.js';
export { FINDING_SEVERITY } from './validate/findings.js';
export type { Finding, FindingCode, Severity } from './validate/findings.js';
export { toJsonReport, writeFindingsCsv } from './validate/report.js';
