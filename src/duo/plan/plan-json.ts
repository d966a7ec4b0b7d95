import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { writeFileAtomically } from '../../atomic-file.js';
import { createCsvWriter } from '../../csv/write-csv.js';
import { tokenKey } from '../../token.js';
import type { PlanAction, Plan, PlannedRow } from './decide.js';

export interface PlanJson {
  readonly summary: Readonly<Record<PlanAction, number>>;
  readonly rows: readonly PlanJsonRow[];
}

export interface PlanJsonRow {
  readonly line: number;
  readonly username: string;
  readonly action: PlanAction;
  readonly duo_user_id: string | null;
  readonly reason: string;
  readonly add_groups: readonly string[];
  readonly add_phones: readonly string[];
  /** Hardware tokens to attach, as "type serial" (h6 101222). */
  readonly add_tokens: readonly string[];
  /** What an update or migrate changes on the Duo user, each field (username, aliases, realname …) before and after; a create's values. */
  readonly changes: readonly { readonly field: string; readonly before: string; readonly after: string }[];
}

/** `plan --format json`: the summary and one entry per row. */
export function planJson(plan: Plan): PlanJson {
  return {
    summary: plan.summary,
    rows: plan.rows.map((p) => ({
      line: p.row.line, username: p.row.username, action: p.action, duo_user_id: p.user?.user_id ?? null, reason: p.reason,
      add_groups: p.adds.groups, add_phones: p.adds.phones.map((phone) => phone.phone!.number + (phone.phone!.extension ? `x${phone.phone!.extension}` : '')),
      add_tokens: p.adds.tokens.map(tokenKey),
      changes: changesOf(p),
    })),
  };
}

const CREATED_FIELDS = ['realname', 'firstname', 'lastname', 'email', 'status', 'notes'] as const;

function changesOf(p: PlannedRow): PlanJsonRow['changes'] {
  const { user, target, row } = p;
  if (p.action === 'create') {
    const aliases = row.aliases.map(([, value]) => value).join(', ');
    return [
      ...(aliases === '' ? [] : [{ field: 'aliases', before: '', after: aliases }]),
      ...CREATED_FIELDS.filter((field) => row[field] !== '').map((field) => ({ field, before: '', after: row[field] })),
    ];
  }
  if (user === null || target === null) return [];
  const changes: { field: string; before: string; after: string }[] = [];
  if (user.username !== target.username) changes.push({ field: 'username', before: user.username, after: target.username });
  const before = Object.values(user.aliases).join(', ');
  const after = Object.values(target.aliases).join(', ');
  if (before !== after) changes.push({ field: 'aliases', before, after });
  for (const [field, value] of Object.entries(target.fields)) {
    const was = (user as unknown as Record<string, unknown>)[field];
    const old = typeof was === 'string' ? was : '';
    if (old !== value) changes.push({ field, before: old, after: value });
  }
  return changes;
}

/** `plan --out plan.csv`: the plan for review in a spreadsheet. */
export async function writePlanCsv(path: string, plan: Plan): Promise<void> {
  const records = plan.rows.map((p) => [String(p.row.line), p.row.username, p.action, p.user?.user_id ?? '', p.user?.username ?? '',
    p.target ? Object.values(p.target.aliases).join(' ') : '', p.adds.groups.join('; '), p.adds.phones.map((phone) => phone.phone!.number).join(' '),
    p.adds.tokens.map(tokenKey).join('; '), p.reason]);
  await writeFileAtomically(path, (out) =>
    pipeline(Readable.from(records), createCsvWriter(['line', 'username', 'action', 'duo_user_id', 'duo_username', 'new_aliases', 'add_groups', 'add_phones', 'add_tokens', 'reason'], { crlf: true }), out, { end: false }),
  );
}
