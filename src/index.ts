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
export { jsonReport, writeFindingsCsv } from './validate/report.js';

export { exportUsers } from './ad/export-users.js';
export type { ExportSummary, ExportProgress } from './ad/export-users.js';
export { resolveExportOptions, loadExportConfig } from './ad/export-options.js';
export type { ExportArgs, ExportOptions, ExportSource } from './ad/export-options.js';
export { readLdifEntries } from './ad/ldif-reader.js';
export { formatObjectGuid } from './ad/guid.js';
export { buildUserFilter } from './ad/user-filter.js';
export { mapUser } from './ad/map-user.js';
export type { DirectoryEntry } from './ad/directory-entry.js';

export { authorizationV5, signatureV5, canonicalizeV5, canonicalParams, rfc2822Date } from './duo/api/sign.js';
export { DuoClient } from './duo/api/client.js';
export type { DuoClientOptions, DuoCredentials, DuoResponse } from './duo/api/client.js';
export { duoBaseUrl } from './duo/api/duo-host.js';
export { resolveDuoConnection } from './duo/api/connection.js';
export { findUsersByNames, bulkCreateUsers, createUser, modifyUser, listAllUsers, aliasesParam } from './duo/api/users-api.js';
export type { DuoUser, NewDuoUser } from './duo/api/users-api.js';
export { writeBatchFiles, batchFileContent } from './duo/workflows/batches.js';
export { checkImportInput, importFiles, writeRejectedRows } from './duo/workflows/import-gate.js';
export { applyImport } from './duo/workflows/importer.js';
export type { LiveImportOptions, ImportSummary, ImportProgress } from './duo/workflows/importer.js';
export { planRows, SYNC_DELETED_FLAG } from './duo/plan/decide.js';
export type { Plan, PlannedRow, PlanAction, DecideOptions } from './duo/plan/decide.js';
export { readLiveTenant, loadLiveTenant, writeTenantSnapshot, loadTenantSnapshot } from './duo/tenant/tenant.js';
export type { TenantUser, TenantSnapshot } from './duo/tenant/tenant.js';
export { migrateUsers } from './duo/workflows/migrate.js';
export { readRollbackPlan, RollbackProgress, trashUsers, restoreNames } from './duo/workflows/rollback.js';
export { guardedWrite } from './duo/journal/guarded-write.js';
export type { WriteOutcome } from './duo/journal/guarded-write.js';
export { loadValidRows } from './duo/workflows/valid-rows.js';
export { pendingDeletionDays } from './duo/api/settings-api.js';
export { Journal } from './duo/journal/journal.js';
export { DuoRequestError, DuoOutcomeUnknownError } from './errors.js';
export { DuoSimulator } from './simulator/duo-simulator.js';
export { CONFIRMED, ASSUMED } from './simulator/assumptions.js';
export { diffTenants } from './duo/tenant/tenant-diff.js';
export type { TenantDiff, TenantChange } from './duo/tenant/tenant-diff.js';
export { parsePhone } from './phone.js';
