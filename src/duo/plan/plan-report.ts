import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { writeFileAtomically } from '../../atomic-file.js';
import { createCsvWriter } from '../../csv/write-csv.js';
import type { Plan } from './decide.js';

/** `plan --format json`: the summary and one entry per row. */
export function planJson(plan: Plan): object {
  return {
    summary: plan.summary,
    rows: plan.rows.map((p) => ({
      line: p.row.line, username: p.row.username, action: p.action, duo_user_id: p.user?.user_id ?? null, reason: p.reason,
      add_groups: p.adds.groups, add_phones: p.adds.phones.map((phone) => phone.phone!.number + (phone.phone!.extension ? `x${phone.phone!.extension}` : '')),
    })),
  };
}

/** `plan --out plan.csv`: the plan for review in a spreadsheet. */
export async function writePlanCsv(path: string, plan: Plan): Promise<void> {
  const records = plan.rows.map((p) => [String(p.row.line), p.row.username, p.action, p.user?.user_id ?? '', p.user?.username ?? '',
    p.target ? Object.values(p.target.aliases).join(' ') : '', p.adds.groups.join('; '), p.adds.phones.map((phone) => phone.phone!.number).join(' '), p.reason]);
  await writeFileAtomically(path, (out) =>
    pipeline(Readable.from(records), createCsvWriter(['line', 'username', 'action', 'duo_user_id', 'duo_username', 'new_aliases', 'add_groups', 'add_phones', 'reason'], { crlf: true }), out, { end: false }),
  );
}
