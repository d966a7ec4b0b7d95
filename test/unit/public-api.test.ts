import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { REPO } from '../helpers/run-cli.js';

/**
 * The library's public API, complete (src/index.ts): adding or removing a name is a decision,
 * made here on purpose, never a side effect of a refactor.
 */
const PUBLIC = [
  // errors
  'DuoBridgeError', 'UsageError', 'DataError', 'RemoteError', 'LdapError', 'DuoApiError', 'DuoPermissionError', 'DuoRequestError', 'DuoOutcomeUnknownError',
  // names, phones, tokens
  'nameKey', 'parsePhone', 'TOKEN_TYPES', 'tokenType',
  // export
  'exportUsers', 'resolveExportOptions', 'resolveDirectoryOptions', 'loadExportConfig', 'readDirectoryUsers', 'readLdifEntries', 'buildUserFilter', 'mapUser', 'formatObjectGuid',
  // the user file
  'DUO_COLUMNS', 'ALIAS_COLUMNS', 'TRACE_COLUMNS', 'MAX_ALIASES', 'layoutColumns', 'readCsvRecords', 'openRecordBatches', 'isSpreadsheet',
  'readDuoUserRows', 'readDuoUserRowsFromFile', 'toDuoUserRow', 'createCsvWriter', 'escapeFormula', 'unescapeFormula',
  // validate
  'validateCsv', 'validateRecords', 'FINDING_SEVERITY', 'jsonReport', 'writeFindingsCsv', 'writeFindingsWorkbook', 'Baseline', 'spreadsheetDamage',
  // the checked input
  'CheckedInput', 'importFiles',
  // plan, import, migrate, rollback
  'planImport', 'DecisionContext', 'planRows', 'planJson',
  'runImport',
  'migrateUsers', 'migrateJson', 'migrateJournalPath',
  'previewRollback', 'rollbackRun', 'rollbackJournalPath', 'rollbackJson',
  // sync
  'runSync', 'planSync', 'resolveSyncSettings', 'loadSyncConfig', 'loadSyncState', 'saveSyncState', 'defaultStatePath', 'syncSummary', 'syncRunJson',
  // sync's health and notifications
  'syncStatus', 'updateHealth', 'resolveNotifySettings', 'deliver',
  // tenant
  'readLiveTenant', 'loadLiveTenant', 'exportLiveTenant', 'liveSnapshot', 'writeTenantSnapshot', 'loadTenantSnapshot', 'diffTenants', 'tenantDiffJson', 'writeTenantDiffCsv',
  // Duo's Admin API
  'DuoClient', 'resolveDuoConnection', 'duoBaseUrl', 'authorizationV5', 'signatureV5', 'findUsersByNames', 'listAllUsers', 'createUser', 'modifyUser', 'bulkCreateUsers', 'pendingDeletionDays',
  // the simulator
  'DuoSimulator', 'CONFIRMED', 'ASSUMED',
  // reports
  'planReport', 'migrateReport', 'importReport', 'rollbackReport', 'syncReport', 'tenantDiffReport', 'renderReport', 'writeHtmlReport',
  // files
  'writeFileAtomically', 'openInputFile',
];

describe('the built package', () => {
  it('exports exactly the public API from dist/index.js', async () => {
    expect(existsSync(`${REPO}dist/index.js`)).toBe(true);
    const api = (await import(`${REPO}dist/index.js`)) as Record<string, unknown>;
    expect(Object.keys(api).sort()).toEqual([...PUBLIC].sort());
    for (const name of ['validateCsv', 'exportUsers', 'runImport', 'planImport', 'previewRollback', 'rollbackRun', 'runSync', 'DuoClient', 'UsageError', 'writeHtmlReport']) {
      expect(typeof api[name]).toBe('function');
    }
  });
});
