import { stringify } from 'csv-stringify';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { writeFileAtomically } from '../../atomic-file.js';
import type { DuoUserRow } from '../../csv/duo-row.js';
import { QUOTE_LINE_BREAKS } from '../../csv/write-csv.js';

/**
 * `import --duo-csv FILE`: the validated rows as a CSV for Duo's Admin Panel "Import Users" page,
 * the path for admins who upload the list there. Only Duo's columns (no ad_guid/ad_dn), numbered
 * columns only as far as a row uses them, and values as Duo reads them: UTF-8 without the formula
 * apostrophe duo-bridge's own CSVs carry (Duo's importer would take it as part of the value, a
 * phone "'+1734…" for one), phones in E.164 with their platform, hardware tokens as serial and type
 * code. The rows are read twice (a pass for the columns' widths, a pass to write), never held.
 */
export async function writeDuoCsv(rows: () => AsyncIterable<DuoUserRow>, path: string): Promise<DuoCsvWritten> {
  const width = { aliases: 0, phones: 0, groups: 0, tokens: 0, firstname: false, lastname: false, status: false, notes: false };
  let users = 0;
  for await (const row of rows()) {
    users++;
    width.aliases = Math.max(width.aliases, ...row.aliases.map(([n]) => n));
    width.phones = Math.max(width.phones, row.phones.length);
    width.groups = Math.max(width.groups, row.groups.length);
    width.tokens = Math.max(width.tokens, row.tokens.length);
    for (const field of ['firstname', 'lastname', 'status', 'notes'] as const) if (row[field] !== '') width[field] = true;
  }
  const numbered = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
  const optional = (['firstname', 'lastname'] as const).filter((field) => width[field]);
  const header = ['username', 'realname', ...optional, 'email', ...numbered('alias', width.aliases),
    ...(['status', 'notes'] as const).filter((field) => width[field]),
    ...numbered('phone', width.phones).flatMap((phone, i) => [phone, `platform${i + 1}`]), ...numbered('group', width.groups),
    ...numbered('token', width.tokens).flatMap((token, i) => [token, `type${i + 1}`])];
  await writeFileAtomically(path, async (out) => {
    const csv = stringify({ header: true, columns: header, record_delimiter: 'windows', quoted_match: QUOTE_LINE_BREAKS });
    csv.pipe(out, { end: false });
    for await (const row of rows()) {
      const aliases = new Map(row.aliases);
      const record = [row.username, row.realname, ...optional.map((field) => row[field]), row.email, ...numbered('', width.aliases).map((_, i) => aliases.get(i + 1) ?? ''),
        ...(['status', 'notes'] as const).filter((field) => width[field]).map((field) => row[field]),
        ...Array.from({ length: width.phones }, (_, i) => {
          const phone = row.phones[i];
          const number = phone?.phone ? `${phone.phone.number}${phone.phone.extension ? ` x${phone.phone.extension}` : ''}` : '';
          return [number, phone?.platformText ?? ''];
        }).flat(),
        ...Array.from({ length: width.groups }, (_, i) => row.groups[i] ?? ''),
        ...Array.from({ length: width.tokens }, (_, i) => [row.tokens[i]?.serial ?? '', row.tokens[i]?.type ?? '']).flat()];
      if (!csv.write(record)) await once(csv, 'drain');
    }
    csv.end();
    await finished(csv);
  });
  return { users, columns: header };
}

export interface DuoCsvWritten {
  readonly users: number;
  readonly columns: readonly string[];
}
