// duo-bridge as a library, one section per job, one call per job where the CLI has a command.
// Anything not listed here is internal and may change; test/unit/public-api.test.ts pins this list.

// Errors: one hierarchy, each class one exit code (contract: exit codes).
export { DuoBridgeError, UsageError, DataError, RemoteError, LdapError, DuoApiError, DuoPermissionError, DuoRequestError, DuoOutcomeUnknownError } from './errors.js';

// Names, phones and tokens as Duo compares them.
export { nameKey } from './names.js';
export type { DuoNames } from './duo/tenant/duo-names.js';
export { parsePhone } from './phone.js';
export { TOKEN_TYPES, tokenType } from './token.js';
export type { TokenType, TokenRef } from './token.js';

// export: AD (LDAP, LDAPS or an LDIF dump) → a user CSV or workbook.
export { exportUsers } from './ad/export-users.js';
export type { ExportSummary, ExportProgress } from './ad/export-users.js';
export { resolveExportOptions, resolveDirectoryOptions, loadExportConfig } from './ad/export-options.js';
export type { ExportArgs, ExportOptions, ExportSource } from './ad/export-options.js';
export { readDirectoryUsers } from './ad/directory-users.js';
export { readLdifEntries } from './ad/ldif-reader.js';
export { buildUserFilter } from './ad/user-filter.js';
export { mapUser } from './ad/map-user.js';
export { formatObjectGuid } from './ad/guid.js';
export type { DirectoryEntry } from './ad/directory-entry.js';

// The user file: its columns, read and written (CSV or .xlsx).
export { DUO_COLUMNS, ALIAS_COLUMNS, TRACE_COLUMNS, MAX_ALIASES, layoutColumns } from './csv/columns.js';
export type { DuoColumn, TraceColumn, KnownColumn, ColumnLayout } from './csv/columns.js';
export { readCsvRecords } from './csv/read-records.js';
export type { CsvReadEvent, CsvProblem, CsvReadOptions } from './csv/read-records.js';
export { openRecordBatches, isSpreadsheet } from './csv/input-records.js';
export { readDuoUserRows, readDuoUserRowsFromFile, toDuoUserRow } from './csv/duo-row.js';
export type { DuoUserRow } from './csv/duo-row.js';
export { createCsvWriter } from './csv/write-csv.js';
export { escapeFormula, unescapeFormula } from './csv/formula.js';

// validate: every finding with its line.
export { validateCsv, validateRecords } from './validate/validate-csv.js';
export type { ValidateOptions, ValidationResult } from './validate/validate-csv.js';
export { FINDING_SEVERITY } from './validate/findings.js';
export type { Finding, FindingCode, Severity } from './validate/findings.js';
export { jsonReport, writeFindingsCsv } from './validate/report.js';
export { writeFindingsWorkbook } from './validate/findings-workbook.js';
export { Baseline, spreadsheetDamage } from './validate/baseline.js';

// The checked input of plan, import and migrate: read once to check it, then its rows.
export { CheckedInput } from './input/checked-input.js';
export type { CheckOptions, RowBatch } from './input/checked-input.js';
export { importFiles } from './input/run-files.js';

// plan: what import and migrate would do (read-only).
export { planImport, DecisionContext } from './duo/workflows/decision-context.js';
export type { TenantSource, DecisionFlags } from './duo/workflows/decision-context.js';
export { planRows } from './duo/plan/decide.js';
export type { Plan, PlannedRow, PlanAction, DecideOptions } from './duo/plan/decide.js';
export { planJson } from './duo/plan/plan-json.js';
export type { PlanJson } from './duo/plan/plan-json.js';

// import: the valid rows as a Duo CSV, batch files, or into Duo (--apply, journaled).
export { runImport } from './duo/workflows/run-import.js';
export type { ImportMode, ImportOutcome } from './duo/workflows/run-import.js';
export type { LiveImportOptions, ImportSummary, ImportProgress } from './duo/workflows/importer.js';

// migrate: existing users renamed in place, journaled.
export { migrateUsers, migrateJson, migrateJournalPath } from './duo/workflows/migrate.js';
export type { MigrateRun, MigrateResult } from './duo/workflows/migrate.js';

// rollback: a run undone from its journal, compare-before-write.
export { previewRollback, rollbackRun, rollbackJournalPath } from './duo/workflows/rollback.js';
export type { RollbackOptions, RollbackPlan, RollbackPreview, RollbackResult } from './duo/workflows/rollback.js';
export type { RollbackCheck } from './duo/workflows/rollback-check.js';
export type { SkippedUndo } from './duo/workflows/rollback-compare.js';
export { rollbackJson } from './duo/workflows/rollback-json.js';

// sync: Duo kept in step with AD, with safeguards.
export { runSync } from './duo/sync/run-sync.js';
export type { SyncRunOptions, SyncRunResult } from './duo/sync/run-sync.js';
export { planSync } from './duo/sync/sync-plan.js';
export type { SyncPlan, SyncAction, SyncPolicy, AdUser } from './duo/sync/sync-plan.js';
export { resolveSyncSettings, loadSyncConfig } from './duo/sync/sync-options.js';
export { loadSyncState, saveSyncState, defaultStatePath } from './duo/sync/sync-state.js';
export type { SyncState, ManagedUser } from './duo/sync/sync-state.js';
export { syncSummary, syncRunJson } from './duo/sync/sync-summary.js';
// sync's health (issue 29): the health file, sync status, notifications.
export { syncStatus } from './duo/sync/sync-status.js';
export type { SyncStatus } from './duo/sync/sync-status.js';
export { updateHealth } from './duo/sync/sync-notify.js';
export type { HealthFile, RunRecord, HealthLevel } from './duo/sync/sync-health.js';
export { resolveNotifySettings } from './notify/notify-settings.js';
export type { NotifySettings, NotifyArgs } from './notify/notify-settings.js';
export { deliver } from './notify/deliver.js';
export type { Notification } from './notify/notification.js';

// tenant: snapshots of the tenant, and what changed between two.
export { readLiveTenant, loadLiveTenant, exportLiveTenant, liveSnapshot, writeTenantSnapshot, loadTenantSnapshot } from './duo/tenant/tenant.js';
export type { TenantUser, TenantSnapshot } from './duo/tenant/tenant.js';
export { diffTenants, tenantDiffJson, writeTenantDiffCsv } from './duo/tenant/tenant-diff.js';
export type { TenantDiff, TenantChange } from './duo/tenant/tenant-diff.js';

// Duo's Admin API: a signed, rate-limited client and the calls a script needs.
export { DuoClient } from './duo/api/client.js';
export type { DuoClientOptions, DuoCredentials, DuoResponse } from './duo/api/client.js';
export type { HttpFetch, HttpFetchInit } from './duo/api/http-fetch.js';
export { resolveDuoConnection } from './duo/api/connection.js';
export { duoBaseUrl } from './duo/api/duo-host.js';
export { authorizationV5, signatureV5 } from './duo/api/sign.js';
export { findUsersByNames, listAllUsers, createUser, modifyUser, bulkCreateUsers } from './duo/api/users-api.js';
export type { DuoUser, NewDuoUser } from './duo/api/users-api.js';
export { pendingDeletionDays } from './duo/api/settings-api.js';

// The local Duo simulator, and what it believes about Duo.
export { DuoSimulator } from './simulator/duo-simulator.js';
export { CONFIRMED, ASSUMED } from './simulator/assumptions.js';

// HTML reports: one page per command, for the change ticket.
export { planReport, migrateReport } from './report/plan-report.js';
export { importReport } from './report/import-report.js';
export { rollbackReport } from './report/rollback-report.js';
export { syncReport } from './report/sync-report.js';
export { tenantDiffReport } from './report/tenant-diff-report.js';
export { renderReport } from './report/html/page.js';
export { writeHtmlReport } from './report/write-report.js';
export type { Report, ReportRow, ReportCount, Risk } from './report/report-model.js';

// Files: written to a temp file and renamed on success; a user's file opened with one clear error.
export { writeFileAtomically } from './atomic-file.js';
export { openInputFile } from './input-file.js';
