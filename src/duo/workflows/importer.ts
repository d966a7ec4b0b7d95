import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { writeFileAtomically } from '../../atomic-file.js';
import { readDuoUserRows, type DuoUserRow } from '../../csv/duo-row.js';
import { createCsvWriter } from '../../csv/write-csv.js';
import { DuoOutcomeUnknownError, DuoRequestError } from '../../errors.js';
import { openInputFile } from '../../input-file.js';
import { nameKey } from '../../names.js';
import { newDuoUser } from './batches.js';
import type { DuoClient } from '../api/client.js';
import { ROW_COLUMNS, rowCells, type ImportFiles, type ImportGate } from './import-gate.js';
import { ImportState } from './import-state.js';
import { rowAliases, userChanges } from '../plan/decide.js';
import { applyRenames } from './renames.js';
import { toTenantUser } from '../tenant/tenant.js';
import { bindJournal, Journal, type JournalRecord, type RowResult } from '../journal/journal.js';
import { aliasesParam, bulkCreateUsers, createUser, findUsersByNames, modifyUser, namesOfDuoUser, type DuoUser } from '../api/users-api.js';

export interface LiveImportOptions {
  readonly input: string;
  readonly delimiter?: string | undefined;
  readonly batchSize: number;
  readonly files: ImportFiles;
  readonly gate: ImportGate;
  readonly client: DuoClient;
  /** The tenant, recorded in the journal so a resume cannot go to another one. */
  readonly host: string;
  /** Also bring existing users' fields and aliases in line with their rows (the plan's update rows). */
  readonly update?: boolean;
  readonly onProgress?: (progress: ImportProgress) => void;
}

export interface ImportCounts {
  created: number;
  updated: number;
  exists: number;
  failed: number;
  skipped: number;
}

export interface ImportProgress extends Readonly<ImportCounts> {
  readonly done: number;
  readonly total: number;
}

export interface ImportSummary extends Readonly<ImportCounts> {
  readonly resumed: boolean;
  readonly calls: number;
  readonly writes: number;
  readonly rateLimited: number;
}

interface Outcome {
  readonly result: RowResult;
  readonly userId: string | null;
  readonly error: string | null;
  /** Definitive: journaled, never retried. An unknown outcome stays open for the next run. */
  readonly final: boolean;
}

// Setting aliases is idempotent: an unanswered attempt can simply be repeated.
const ALIAS_ATTEMPTS = 3;
const RESULT_COLUMNS = ['line', ...ROW_COLUMNS, 'result', 'duo_user_id', 'error'];

/**
 * Creates the CSV's users in Duo (duo-admin-api.md §9): per batch, look every name up; leave
 * existing users alone; fail rows whose names another user holds; bulk_create the rest; set each
 * new user's aliases. A failed or unanswered batch is never resent: Duo is re-read and what is
 * missing is created one by one. Every write is journaled before and after, so a re-run resumes.
 */
export async function applyImport(options: LiveImportOptions): Promise<ImportSummary> {
  const journal = await Journal.open(options.files.journal);
  try {
    const resumed = await bindJournal(journal, { kind: 'import', input: options.input, host: options.host });
    const state = ImportState.replay(journal.records);
    const run = new ImportRun(options, journal, state);
    await writeFileAtomically(options.files.results, (out) => run.execute(out));
    await journal.append({ t: 'done', at: new Date().toISOString() });
    const { calls, writes, rateLimited } = options.client.stats;
    return { ...run.counts, resumed, calls, writes, rateLimited };
  } finally {
    await journal.close();
  }
}

class ImportRun {
  readonly counts: ImportCounts = { created: 0, updated: 0, exists: 0, failed: 0, skipped: 0 };
  private done = 0;
  private readonly total: number;

  constructor(
    private readonly options: LiveImportOptions,
    private readonly journal: Journal,
    private readonly state: ImportState,
  ) {
    this.total = options.gate.validation.rows - options.gate.invalidRows.size;
  }

  async execute(out: NodeJS.WritableStream): Promise<void> {
    const results = createCsvWriter(RESULT_COLUMNS, { crlf: true });
    results.pipe(out, { end: false });
    // Rows wait here, in file order, until their batch has an outcome.
    let pending: { row: DuoUserRow; outcome?: Outcome }[] = [];
    let batch: DuoUserRow[] = [];
    const flush = async (): Promise<void> => {
      const outcomes = await this.processBatch(batch);
      for (const entry of pending) {
        const outcome = entry.outcome ?? outcomes.get(nameKey(entry.row.username))!;
        this.counts[outcome.result]++;
        const cells = [String(entry.row.line), ...rowCells(entry.row), outcome.result, outcome.userId ?? '', outcome.error ?? ''];
        if (!results.write(cells)) await once(results, 'drain');
      }
      this.done += batch.length;
      this.report(0);
      pending = [];
      batch = [];
    };

    for await (const row of readDuoUserRows(await openInputFile(this.options.input), { delimiter: this.options.delimiter })) {
      const invalid = this.options.gate.invalidRows.get(row.row);
      if (invalid !== undefined) {
        pending.push({ row, outcome: { result: 'skipped', userId: null, error: invalid, final: true } });
        continue;
      }
      pending.push({ row });
      batch.push(row);
      if (batch.length === this.options.batchSize) await flush();
    }
    await flush();
    results.end();
    await finished(results);
  }

  private report(doneInBatch: number): void {
    this.options.onProgress?.({ ...this.counts, done: this.done + doneInBatch, total: this.total });
  }

  private async processBatch(rows: readonly DuoUserRow[]): Promise<Map<string, Outcome>> {
    const outcomes = new Map<string, Outcome>();
    const open: DuoUserRow[] = [];
    for (const row of rows) {
      const final = this.state.final.get(nameKey(row.username));
      if (final) outcomes.set(nameKey(row.username), { ...final, final: true });
      else open.push(row);
    }
    if (open.length === 0) return outcomes;

    const owners = await this.lookup(open.flatMap((row) => [row.username, ...row.aliases.map(([, alias]) => alias)]));
    const toCreate: DuoUserRow[] = [];
    const created = new Map<string, string>();
    for (const row of open) {
      const key = nameKey(row.username);
      const owner = owners.get(key);
      if (owner !== undefined && nameKey(owner.username) === key) {
        if (this.state.isOurs(row.username)) created.set(key, owner.user_id);
        else if (this.options.update) outcomes.set(key, await this.update(row, owner, owners));
        else outcomes.set(key, { result: 'exists', userId: owner.user_id, error: null, final: true });
      } else if (owner !== undefined) {
        outcomes.set(key, failure(`username "${row.username}" is an alias of Duo user "${owner.username}" (${owner.user_id})`, owner.user_id));
      } else {
        const taken = row.aliases.map(([, alias]) => [alias, owners.get(nameKey(alias))] as const).filter(([, o]) => o !== undefined);
        if (taken.length > 0) {
          outcomes.set(key, failure(taken.map(([alias, o]) => `alias "${alias}" belongs to Duo user "${o!.username}" (${o!.user_id})`).join('; '), null));
        } else {
          toCreate.push(row);
        }
      }
    }

    for (const [key, userId] of await this.create(toCreate, outcomes)) created.set(key, userId);
    let finished = 0;
    for (const row of open) {
      const key = nameKey(row.username);
      const userId = created.get(key);
      if (userId === undefined) continue;
      outcomes.set(key, await this.finishCreated(row, userId));
      // One alias call per user can take minutes per batch at Duo's rate: show progress inside it.
      this.report(++finished);
    }
    // One flush for the batch's final results: until it is on disk, a resume re-derives them from Duo.
    await this.journal.append(...open.flatMap((row): JournalRecord[] => {
      const outcome = outcomes.get(nameKey(row.username))!;
      return outcome.final ? [{ t: 'row', line: row.line, username: row.username, result: outcome.result, user_id: outcome.userId, error: outcome.error }] : [];
    }));
    return outcomes;
  }

  /** Brings an existing user's fields and aliases in line with its row (--update); names held by others fail it. */
  private async update(row: DuoUserRow, user: DuoUser, owners: ReadonlyMap<string, DuoUser>): Promise<Outcome> {
    const current = toTenantUser(user);
    const changes = userChanges(row, current);
    if (changes === null) return { result: 'exists', userId: user.user_id, error: null, final: true };
    const taken = row.aliases.map(([, alias]) => owners.get(nameKey(alias))).find((o) => o !== undefined && o.user_id !== user.user_id);
    if (taken) return failure(`an alias of this row belongs to Duo user "${taken.username}" (${taken.user_id})`, user.user_id);
    const to = changes.aliases ? rowAliases(row) : { ...current.aliases };
    const [result] = await applyRenames(this.options.client, this.journal, [
      { userId: user.user_id, from: { username: current.username, aliases: { ...current.aliases } }, to: { username: current.username, aliases: to }, fields: changes.fields },
    ]);
    return result!.ok ? { result: 'updated', userId: user.user_id, error: null, final: true } : failure(`not updated: ${result!.error}`, user.user_id);
  }

  /** Duo users holding any of `names`, by lower-cased name (username or alias). */
  private async lookup(names: readonly string[]): Promise<Map<string, DuoUser>> {
    const unique = [...new Map(names.map((n) => [nameKey(n), n])).values()];
    const owners = new Map<string, DuoUser>();
    for (const user of await findUsersByNames(this.options.client, unique)) {
      for (const name of namesOfDuoUser(user)) owners.set(nameKey(name), user);
    }
    return owners;
  }

  /** One bulk_create; if it fails or its answer is lost, re-read Duo and create what is missing one by one. */
  private async create(rows: readonly DuoUserRow[], outcomes: Map<string, Outcome>): Promise<Map<string, string>> {
    const created = new Map<string, string>();
    if (rows.length === 0) return created;
    const id = this.journal.newId();
    await this.journal.append({ t: 'intent', id, op: 'bulk_create', usernames: rows.map((r) => r.username) });
    for (const row of rows) this.state.attempted.add(nameKey(row.username));
    try {
      const users = await bulkCreateUsers(this.options.client, rows.map(newDuoUser));
      const ids = users.map((u) => ({ username: u.username, user_id: u.user_id }));
      await this.journal.append({ t: 'outcome', id, ok: true, created: ids });
      for (const { username, user_id } of ids) created.set(nameKey(username), user_id);
      if (rows.every((row) => created.has(nameKey(row.username)))) return created;
    } catch (error) {
      if (!(error instanceof DuoRequestError || error instanceof DuoOutcomeUnknownError)) throw error;
      await this.journal.append({ t: 'outcome', id, ok: false, unknown: error instanceof DuoOutcomeUnknownError, error: error.message });
      // A refused batch created nothing; a user found now was created by someone else meanwhile.
      if (error instanceof DuoRequestError) for (const row of rows) this.state.forget(row.username);
    }

    const missing = rows.filter((row) => !created.has(nameKey(row.username)));
    const owners = await this.lookup(missing.map((r) => r.username));
    for (const row of missing) {
      const key = nameKey(row.username);
      const owner = owners.get(key);
      if (owner !== undefined && nameKey(owner.username) === key) {
        if (this.state.isOurs(row.username)) created.set(key, owner.user_id);
        else outcomes.set(key, { result: 'exists', userId: owner.user_id, error: null, final: true });
      } else {
        const single = await this.createOne(row);
        if (typeof single === 'string') created.set(key, single);
        else outcomes.set(key, single);
      }
    }
    return created;
  }

  private async createOne(row: DuoUserRow): Promise<string | Outcome> {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const id = this.journal.newId();
      await this.journal.append({ t: 'intent', id, op: 'create', usernames: [row.username] });
      try {
        const user = await createUser(this.options.client, newDuoUser(row));
        await this.journal.append({ t: 'outcome', id, ok: true, created: [{ username: user.username, user_id: user.user_id }] });
        return user.user_id;
      } catch (error) {
        if (error instanceof DuoRequestError) {
          await this.journal.append({ t: 'outcome', id, ok: false, unknown: false, error: error.message });
          this.state.forget(row.username);
          return failure(error.message, null);
        }
        if (!(error instanceof DuoOutcomeUnknownError)) throw error;
        await this.journal.append({ t: 'outcome', id, ok: false, unknown: true, error: error.message });
        const owner = (await this.lookup([row.username])).get(nameKey(row.username));
        if (owner !== undefined && nameKey(owner.username) === nameKey(row.username)) return owner.user_id;
      }
    }
    return { result: 'failed', userId: null, error: 'Duo did not answer the create; re-run the same command to resume', final: false };
  }

  /** Sets a created user's aliases (one modify call; repeating it is harmless). */
  private async finishCreated(row: DuoUserRow, userId: string): Promise<Outcome> {
    const key = nameKey(row.username);
    const done: Outcome = { result: 'created', userId, error: null, final: true };
    if (row.aliases.length === 0 || this.state.aliasesDone.has(key)) return done;
    const aliases = aliasesParam(row.aliases);
    for (let attempt = 1; attempt <= ALIAS_ATTEMPTS; attempt++) {
      const id = this.journal.newId();
      await this.journal.append({ t: 'intent', id, op: 'aliases', usernames: [row.username], user_id: userId, aliases });
      try {
        await modifyUser(this.options.client, userId, { aliases });
        await this.journal.append({ t: 'outcome', id, ok: true });
        this.state.aliasesDone.add(key);
        return done;
      } catch (error) {
        if (!(error instanceof DuoRequestError || error instanceof DuoOutcomeUnknownError)) throw error;
        await this.journal.append({ t: 'outcome', id, ok: false, unknown: error instanceof DuoOutcomeUnknownError, error: error.message });
        if (error instanceof DuoRequestError) return failure(`the user was created but its aliases were not set: ${error.message}`, userId);
      }
    }
    return { result: 'failed', userId, error: 'the user was created but Duo did not answer when its aliases were set; re-run to resume', final: false };
  }
}

function failure(error: string, userId: string | null): Outcome {
  return { result: 'failed', userId, error, final: true };
}


