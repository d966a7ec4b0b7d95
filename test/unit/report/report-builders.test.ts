import { describe, expect, it } from '@jest/globals';
import type { PlanJson } from '../../../src/duo/plan/plan-json.js';
import type { SyncRunJson } from '../../../src/duo/sync/sync-summary.js';
import type { SyncAction, SyncPlan } from '../../../src/duo/sync/sync-plan.js';
import type { TenantDiffJson } from '../../../src/duo/tenant/tenant-diff.js';
import type { RollbackJson } from '../../../src/duo/workflows/rollback-json.js';
import { migrateReport, planReport } from '../../../src/report/plan-report.js';
import type { Report, ReportRow } from '../../../src/report/report-model.js';
import { rollbackReport } from '../../../src/report/rollback-report.js';
import { syncReport } from '../../../src/report/sync-report.js';
import { tenantDiffReport } from '../../../src/report/tenant-diff-report.js';

const RUN = { command: 'plan users.csv', host: 'api-test.duosecurity.com', inputs: [], at: new Date('2026-12-02T08:00:00Z') };

async function rowsOf(report: Report): Promise<ReportRow[]> {
  const rows: ReportRow[] = [];
  for await (const row of report.rows()) rows.push(row);
  return rows;
}

const PLAN: PlanJson = {
  summary: { create: 1, unchanged: 0, update: 0, migrate: 1, restore: 0, conflict: 1 },
  rows: [
    { line: 2, username: 'new', action: 'create', duo_user_id: null, reason: 'not in Duo', add_groups: ['VPN'], add_phones: ['+15555550100'], add_tokens: [], changes: [] },
    { line: 3, username: 'adavis', action: 'migrate', duo_user_id: 'DU1', reason: 'rename', add_groups: [], add_phones: [], add_tokens: [], changes: [{ field: 'username', before: 'alice@corp.example', after: 'adavis' }] },
    { line: 4, username: 'clash', action: 'conflict', duo_user_id: 'DU2', reason: 'name held by another user', add_groups: [], add_phones: [], add_tokens: [], changes: [] },
  ],
};

describe('report builders: each a view of the command\'s JSON', () => {
  it('plan: the counts are the summary; renames are destructive, conflicts apart; groups and phones added are changes', async () => {
    const report = await planReport(PLAN, RUN, 'snapshot t.json');
    expect(report.counts).toEqual([
      { action: 'create', count: 1, risk: null }, { action: 'unchanged', count: 0, risk: null }, { action: 'update', count: 0, risk: null },
      { action: 'migrate', count: 1, risk: 'destructive' }, { action: 'conflict', count: 1, risk: 'conflict' },
    ]);
    const rows = await rowsOf(report);
    expect(rows.map((r) => [r.user, r.risk, r.where])).toEqual([['new', null, '2'], ['adavis', 'destructive', '3'], ['clash', 'conflict', '4']]);
    expect(rows[0]!.changes).toEqual([{ field: 'group', before: '', after: 'VPN' }, { field: 'phone', before: '', after: '+15555550100' }]);
    expect(report.facts.map(([label]) => label)).toEqual(['command', 'Duo tenant', 'planned against', 'run by', 'made at', 'duo-bridge version']);
  });

  it('migrate: a rename Duo refused is a failed row with Duo\'s answer', async () => {
    const report = await migrateReport({ plan: PLAN, applied: true, results: [{ userId: 'DU1', ok: false, error: '400 alias in use' }], attach_failures: [] }, RUN);
    const rows = await rowsOf(report);
    expect(rows[1]).toMatchObject({ risk: 'failed', reason: 'failed: 400 alias in use' });
    expect(report.facts.find(([label]) => label === 'outcome')![1]).toBe('0 users renamed, 1 failed');
  });

  it('sync: held actions first and marked, failed actions with their error, conflicts and drift listed', async () => {
    const disable: SyncAction = { kind: 'disable', guid: 'g1', username: 'leaver', user_id: 'DU1', reason: 'disabled in AD', status: 'active' };
    const trash: SyncAction = { kind: 'trash', guid: 'g2', username: 'gone', user_id: 'DU2', reason: 'left AD 31 days ago' };
    const plan = {
      plan_id: 'p1', source: { domain: 'corp.example', base: '', filter: '' }, ad_users: 10, ad_unusable: 0, duo_users: 10, managed: 10,
      actions: [disable], held: [trash], hold_reasons: ['1 sends to the Trash is more than 0'], conflicts: [{ guid: 'g3', username: 'clash', reason: 'taken' }],
      drift: [{ guid: 'g4', user_id: 'DU4', username: 'edited', kind: 'fields', detail: 'email changed in Duo', policy: 'report' }], gone: [], untouched: [],
      approved: null, approve_id: 'p1',
    } as unknown as SyncPlan;
    const json = { mode: 'apply', counts: { disable: 1 }, failed: 1, state: 's.json', journal: 'j.jsonl', exit: 4, plan, results: [{ action: { ...disable }, ok: false, error: '500', user_id: 'DU1' }] } as unknown as SyncRunJson;
    const report = await syncReport(json, RUN);
    const rows = await rowsOf(report);
    expect(rows.map((r) => [r.action, r.user, r.risk])).toEqual([['held: send to Trash', 'gone', 'held'], ['disable', 'leaver', 'failed'], ['conflict', 'clash', 'conflict'], ['drift', 'edited', null]]);
    expect(rows[1]!.reason).toBe('failed: 500 (disabled in AD)');
    expect(report.counts).toEqual([{ action: 'disable', count: 1, risk: 'destructive' }, { action: 'held: send to Trash', count: 1, risk: 'held' }, { action: 'conflict', count: 1, risk: 'conflict' }, { action: 'drift', count: 1, risk: null }]);
    expect(report.warnings.slice(0, 2)).toEqual(['Held by a safeguard: 1 sends to the Trash is more than 0.', expect.stringMatching(/^Once the held actions are reviewed, duo-bridge sync --apply --approve p1 --yes releases exactly them/)]);
    expect(report.facts.find(([label]) => label === 'safeguards')![1]).toBe('fired: 1 destructive action held');
    // The thresholds in force, and a page where none fired says so.
    const calm = await syncReport({ ...json, plan: { ...plan, held: [], hold_reasons: [] } } as SyncRunJson, RUN, undefined,
      { thresholds: { disable: { count: 10, percent: 5 }, trash: { count: 5, percent: 2 }, removal: { count: 10, percent: 5 }, rename: { count: 10, percent: 5 } }, maxShrinkPercent: 20, trashAfterDays: 30 });
    expect(calm.facts.find(([label]) => label === 'safeguards')![1]).toBe('none fired: nothing was held. In force: disable, removal, rename held above 10 and 5% of the managed users; trash held above 5 and 2% of the managed users; ' +
      'nothing destructive when AD shrank more than 20% since the last complete read; a leaver goes to the Trash after 30 days disabled');
    expect(report.facts.map(([label]) => label)).toContain('run by');
  });

  it('tenant diff: deletions, disables, renames and removed memberships need attention; users in the Trash are listed apart', async () => {
    const json: TenantDiffJson = {
      before: 'a.json', after: 'b.json', differences: 4, summary: '',
      changes: [
        { kind: 'created', user_id: 'DU1', username: 'new' },
        { kind: 'deleted', user_id: 'DU2', username: 'old' },
        { kind: 'changed', user_id: 'DU3', username: 'moved', changes: [{ field: 'group', before: 'VPN', after: '' }] },
        { kind: 'changed', user_id: 'DU4', username: 'named', changes: [{ field: 'realname', before: 'A', after: 'B' }] },
      ],
      trash: [{ user_id: 'DU5', username: 'binned', until: '2026-12-09' }],
    };
    const rows = await rowsOf(await tenantDiffReport(json, RUN, false));
    expect(rows.map((r) => [r.user, r.risk])).toEqual([['new', null], ['old', 'destructive'], ['moved', 'destructive'], ['named', null], ['binned', null]]);
    // Counted as a difference (--include-trash), a user sent to the Trash is a destructive one.
    expect((await rowsOf(await tenantDiffReport(json, RUN, true))).at(-1)!.risk).toBe('destructive');
  });

  it('rollback: each undo step per user; a user whose undo failed says why', async () => {
    const json: RollbackJson = {
      journal: 'users.journal.jsonl', kind: 'import', host: 'h', applied: true, trash: [{ user_id: 'DU1', username: 'jdoe' }], already_trashed: 0, untrash: [],
      restore_names: [], restore_fields: [], remove_memberships: [{ user_id: 'DU9', group_id: 'DG1' }], add_back_memberships: [], delete_phones: ['DP1'], detach_phones: [], detach_tokens: [],
      groups_created: ['VPN'], unsettled: 0, pending_deletion_days: 7, compared_with_duo: true, already_as_before: [], changed_since: [],
      skipped: [{ user_id: 'DU5', username: 'ann', what: 'status', wrote: 'disabled', current: 'disabled', by: 'sync.state.runs/c.jsonl' }], names: { users: {}, groups: {} },
      outcome: { disabled: 0, trashed: 0, untrashed: 0, fields_restored: 0, names_restored: 0, names_missing: [], devices_done: 2, failed: [{ user_id: 'DU1', error: '403' }], failed_devices: [] },
    };
    const report = await rollbackReport(json, RUN);
    const rows = await rowsOf(report);
    expect(rows.map((r) => [r.action, r.user, r.risk])).toEqual([
      ['disable and send to Trash', 'jdoe', 'failed'], ['skip: changed since the run', 'ann', 'conflict'], ['remove from group', 'DU9', 'destructive'], ['delete phone', 'DP1', 'destructive'],
    ]);
    expect(rows[1]!.changes).toEqual([{ field: 'status', before: 'the run wrote: disabled', after: 'now: disabled' }]);
    expect(rows[1]!.reason).toBe('changed since by sync.state.runs/c.jsonl: left as it is');
    expect(report.warnings).toEqual([
      'Duo keeps users in its Trash for 7 days, then deletes them for good.', 'The run created the groups VPN: left in place.',
      '1 change is skipped: the value changed since the run (a later run or someone in Duo), so it is left as it is.',
    ]);
  });

  it('rollback of a sync: users and groups by name (the id beside), the value now and the value restored; an enable gives access back and needs attention', async () => {
    const json: RollbackJson = {
      journal: 'sync.state.runs/x.jsonl', kind: 'sync', host: 'h', applied: false, trash: [], already_trashed: 0, untrash: [],
      restore_names: [], restore_fields: [{ user_id: 'DU2', from: { status: 'disabled' }, to: { status: 'active' } }, { user_id: 'DU3', from: { email: 'new@x' }, to: { email: '' } }],
      remove_memberships: [], add_back_memberships: [{ user_id: 'DU2', group_id: 'DG7' }], delete_phones: [], detach_phones: [], detach_tokens: [],
      groups_created: [], unsettled: 0, pending_deletion_days: 7, compared_with_duo: true, already_as_before: [], changed_since: [], skipped: [],
      names: { users: { DU2: 'bbrown', DU3: 'cdavis' }, groups: { DG7: 'VPN Users' } }, outcome: null,
    };
    const rows = await rowsOf(await rollbackReport(json, RUN));
    expect(rows.map((r) => [r.action, r.user, r.userId, r.risk, r.changes])).toEqual([
      ['enable again', 'bbrown', 'DU2', 'access', [{ field: 'status', before: 'now: disabled', after: 'restored: active' }]],
      ['set fields back', 'cdavis', 'DU3', null, [{ field: 'email', before: 'now: new@x', after: 'restored: (empty)' }]],
      ['add back to group', 'bbrown', 'DU2', null, [{ field: 'group', before: '', after: 'VPN Users (DG7)' }]],
    ]);
    expect(rows[0]!.reason).toMatch(/gives access back: the run disabled it \(a sync disables a user who left AD or was disabled there\): check the account in AD/);
  });
});
