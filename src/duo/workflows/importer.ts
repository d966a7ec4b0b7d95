import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { writeFileAtomically } from '../../atomic-file.js';
import type { DuoUserRow } from '../../csv/duo-row.js';
import { createCsvWriter } from '../../csv/write-csv.js';
import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import { createUserOperation, MAX_BULK_OPERATIONS } from '../api/bulk-api.js';
import { TRASHED, aliasesParam, bulkCreateUsers, createUser, getUser, modifyUser, restoreUsers } from '../api/users-api.js';
import type { JournalRecord, RowResult } from '../journal/journal.js';
import type { RunHistory } from '../journal/run-history.js';
import { toTenantUser, type TenantUser } from '../tenant/tenant.js';
import { BulkMode } from '../writes/bulk-mode.js';
import { RunSession } from '../writes/run-session.js';
import { assertions, hasAdditions, planRows, rowAliases, userChanges, type Plan, type PlanAction, type PlannedRow } from '../plan/decide.js';
import { previewImport } from './import-preview.js';
import { newDuoUser } from './batches.js';
import type { CheckedInput } from '../../input/checked-input.js';
import type { ImportFiles } from '../../input/run-files.js';
import { Attacher, type AttachItem, type AttachOptions } from '../writes/attach.js';
import { candidateNames, lookupBatch, usersOf } from './import-batches.js';
import { TenantNames } from './tenant-names.js';
import { applyRenames } from '../writes/renames.js';
import { DecisionContext } from './decision-context.js';

export interface LiveImportOptions {
  /** The checked file: its rows are sent as they were checked, its sha256 binds the journal. */
  readonly input: CheckedInput;
  readonly batchSize: number;
  readonly files: ImportFiles;
  readonly client: DuoClient;
  /** The tenant, recorded in the journal so a resume cannot go to another one. */
  readonly host: string;
  /** Also bring existing users' fields and aliases in line with their rows (the plan's update rows). */
  readonly update?: boolean;
  /** The admin asserts the old directory sync is deleted (see DecideOptions.syncDeleted). */
  readonly syncDeleted?: boolean;
  /** Take a row's Duo user out of the Trash and bring it in line with the row (--restore-trashed). */
  readonly restoreTrashed?: boolean;
  /**
   * Operations per /admin/v1/bulk call (1–50); 0 forces the single-call path. New users are then
   * created with their aliases in bulk, 50 per call, and learned by reading Duo back.
   */
  readonly bulkSize?: number;
  /** Said once, when Duo refuses the bulk endpoint and the run goes on with single calls. */
  readonly onNotice?: (message: string) => void;
  /** Groups, phones, enrollment: what beyond the users themselves the run may do. */
  readonly attach?: Partial<AttachOptions>;
  readonly onProgress?: (progress: ImportProgress) => void;
  /**
   * Called once the journal is open and before anything is written: `preview` counts what the run
   * will do (a fresh run only; a resume skips it, its plan was shown when it started). Returning
   * false stops the run with nothing written.
   */
  readonly confirm?: (resuming: boolean, preview: () => Promise<Record<PlanAction, number>>) => Promise<boolean>;
}

export interface ImportCounts {
  created: number;
  updated: number;
  restored: number;
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
  /** Aliases left out because they equal their row's username. */
  readonly droppedAliases: number;
  /** Enrollment emails Duo refused: the row's user was created; its note says why. */
  readonly enrollmentsRefused: number;
  /** Of the `exists` rows, in plan's words: `unchanged`, and `update` rows left as they are (no --update). */
  readonly unchanged: number;
  readonly notUpdated: number;
}

interface Outcome {
  readonly result: RowResult;
  readonly userId: string | null;
  readonly error: string | null;
  /** Journaled as the row's result. An unknown outcome is not: the next run settles it by reading Duo. */
  readonly final: boolean;
  /** What else happened (an enrollment email sent, …), for the results CSV. */
  readonly notes?: readonly string[];
  /** For an `exists` row: what plan called it. */
  readonly planned?: 'unchanged' | 'update';
}

// Setting aliases is idempotent: an unanswered attempt can simply be repeated.
const ALIAS_ATTEMPTS = 3;
const RESULT_COLUMNS = ['result', 'duo_user_id', 'error', 'note'];

/**
 * Creates the CSV's users in Duo: per batch, look every name up; classify the rows with the plan's
 * decision engine; leave existing users alone (or update them with --update); fail the rows the
 * plan calls migrate or conflict; bulk_create the rest; set each new user's aliases. A failed or
 * unanswered batch is never resent: Duo is re-read and what is missing is created one by one.
 * Every write is a guarded write (journaled before and after), so a re-run resumes.
 */
export async function applyImport(options: LiveImportOptions): Promise<ImportSummary | null> {
  return RunSession.run(options.files.journal, { host: options.host, client: options.client }, async (session) => {
    const resuming = session.resuming;
    const run = new ImportRun(options, session, new BulkMode(options.bulkSize ?? MAX_BULK_OPERATIONS, session.history.bulkRefused, options.onNotice));
    // The preview and the run each look the rows' names up: listing the tenant once may cost less.
    await run.readTenantNames(options.confirm !== undefined && !resuming ? 2 : 1);
    if (options.confirm && !(await options.confirm(resuming, () => previewImport(options, (rows) => run.planBatch(rows))))) return null;
    const resumed = await session.bind({ kind: 'import', input: options.input.path, sha256: options.input.sha256, assertions: assertions(options) });
    // An earlier run's results must not outlive a run that stops half-way, looking current: the journal holds the truth.
    await rm(options.files.results, { force: true });
    await writeFileAtomically(options.files.results, (out) => run.execute(out));
    await session.finish();
    const { calls, writes, rateLimited } = options.client.stats;
    return { ...run.counts, resumed, calls, writes, rateLimited, droppedAliases: run.droppedAliases, enrollmentsRefused: run.enrollmentsRefused,
      unchanged: run.unchanged, notUpdated: run.notUpdated };
  });
}

class ImportRun {
  readonly counts: ImportCounts = { created: 0, updated: 0, restored: 0, exists: 0, failed: 0, skipped: 0 };
  droppedAliases = 0;
  enrollmentsRefused = 0;
  unchanged = 0;
  notUpdated = 0;
  private done = 0;
  private readonly total: number;
  private readonly attachOptions: AttachOptions;
  private readonly context: DecisionContext;
  /** Duo users a row of this run matched, and that row's line. */
  private readonly matchedUsers = new Map<string, number>();
  /** The tenant's names, when listing it was cheaper than looking every row up (then only rows whose names Duo holds are). */
  private tenantNames: TenantNames | null = null;
  private readonly history: RunHistory;

  constructor(
    private readonly options: LiveImportOptions,
    private readonly session: RunSession,
    private readonly bulk: BulkMode,
  ) {
    this.history = session.history;
    this.total = options.input.validCount;
    const { createGroups = false, sharePhones = false, enroll = false, sendActivation = false } = options.attach ?? {};
    this.attachOptions = { createGroups, sharePhones, enroll, sendActivation };
    this.context = new DecisionContext({ client: options.client }, { syncDeleted: options.syncDeleted, createGroups, sharePhones, restoreTrashed: options.restoreTrashed }, true);
  }

  async readTenantNames(passes: number): Promise<void> {
    this.tenantNames = await TenantNames.listIfCheaper(this.options.client, this.total, passes);
  }

  /**
   * The decision engine on the Duo users holding the rows' names (one lookup per 100 names; with
   * the tenant's names listed, only for the rows whose names Duo holds).
   */
  async planBatch(rows: readonly DuoUserRow[]): Promise<Plan> {
    // The tenant's groups and phone numbers, read the first time a row has groups or phones; the rows' tokens, looked up.
    await this.context.learn(rows, this.session);
    const names = this.tenantNames;
    const lookedUp = names === null ? rows : rows.filter((row) => candidateNames(row).some((name) => names.mayHold(name)));
    return planRows(rows, usersOf(await lookupBatch(this.options.client, lookedUp)), this.context.options({ ours: (user) => this.history.isOurs(user) }));
  }

  async execute(out: NodeJS.WritableStream): Promise<void> {
    const { input, batchSize } = this.options;
    const columns = input.carriedColumns(['line', ...RESULT_COLUMNS]);
    const results = createCsvWriter(['line', ...columns.header, ...RESULT_COLUMNS], { crlf: true });
    results.pipe(out, { end: false });
    for await (const { rows, skipped } of input.batches(batchSize)) {
      const outcomes = await this.processBatch(rows);
      // Rows in file order: the skipped rows of this stretch of the file, then the batch.
      const skippedOutcomes = skipped.map(([row, reason]) => [row, { result: 'skipped', userId: null, error: reason, final: true } as Outcome] as const);
      for (const [row, outcome] of [...skippedOutcomes, ...rows.map((row) => [row, outcomes.get(row)!] as const)].sort(([a], [b]) => a.line - b.line)) {
        this.counts[outcome.result]++;
        if (outcome.planned === 'unchanged') this.unchanged++;
        if (outcome.planned === 'update') this.notUpdated++;
        this.droppedAliases += row.droppedAliases.length;
        const cells = [String(row.line), ...columns.cellsOf(row), outcome.result, outcome.userId ?? '', outcome.error ?? '', [droppedNote(row), ...(outcome.notes ?? [])].filter(Boolean).join('; ')];
        if (!results.write(cells)) await once(results, 'drain');
      }
      this.done += rows.length;
      this.report(0);
    }
    results.end();
    await finished(results);
  }

  private report(doneInBatch: number): void {
    this.options.onProgress?.({ ...this.counts, done: this.done + doneInBatch, total: this.total });
  }

  private async processBatch(rows: readonly DuoUserRow[]): Promise<Map<DuoUserRow, Outcome>> {
    const outcomes = new Map<DuoUserRow, Outcome>();
    const open: DuoUserRow[] = [];
    const settled = rows.filter((row) => this.history.finalRows.has(nameKey(row.username)));
    // A row an earlier run settled stays settled unless its user has since gone to the Trash (a rollback).
    const trashed = settled.length === 0 ? new Set<string>() : new Set([...(await lookupBatch(this.options.client, settled, { aliases: false })).values()]
      .filter((user) => user.status === TRASHED).map((user) => user.user_id));
    for (const row of rows) {
      const final = this.history.finalRows.get(nameKey(row.username));
      if (final && !(final.userId !== null && trashed.has(final.userId))) outcomes.set(row, { ...final, final: true });
      else open.push(row);
    }
    if (open.length === 0) return outcomes;

    const plan = await this.planBatch(open);
    const plannedByRow = new Map(plan.rows.map((p) => [p.row, p]));
    // The plan catches two rows matching one Duo user within a batch; this, across batches.
    for (const planned of plan.rows) {
      if (planned.user === null || planned.action === 'conflict') continue;
      const first = this.matchedUsers.get(planned.user.user_id);
      if (first === undefined) this.matchedUsers.set(planned.user.user_id, planned.row.line);
      else if (first !== planned.row.line) {
        plannedByRow.set(planned.row, { ...planned, action: 'conflict', reason: `line ${planned.row.line} matches Duo user "${planned.user.username}" (${planned.user.user_id}), which line ${first} (an earlier batch) already matched, and one Duo user is one person; fix: keep one row for this person; give the other its own username, aliases and email` });
      }
    }
    const toCreate: DuoUserRow[] = [];
    const created = new Map<DuoUserRow, string>();
    for (const planned of plannedByRow.values()) {
      const { row, user } = planned;
      if (planned.action === 'create' && user === null) toCreate.push(row);
      else if (planned.action === 'create') {
        // Ours from an earlier run: created in bulk with its aliases, or by bulk_create without them.
        if (hasAliases(user!, row)) this.history.aliasesDone.add(nameKey(row.username));
        await this.session.claimUser(user!);
        created.set(row, user!.user_id);
      } else outcomes.set(row, await this.decided(planned));
    }

    for (const [row, userId] of await this.create(toCreate, outcomes)) created.set(row, userId);
    let finishedRows = 0;
    for (const [row, userId] of created) {
      outcomes.set(row, await this.finishCreated(row, userId));
      // One alias call per user can take minutes per batch at Duo's rate: show progress inside it.
      this.report(++finishedRows);
    }
    await this.attach(open, plannedByRow, outcomes);
    // Whatever happened to them, these rows' names may be Duo's now.
    this.tenantNames?.add(open.flatMap(candidateNames));
    // One flush for the batch's final results: until it is on disk, a resume re-derives them from Duo.
    await this.session.journal.append(...open.flatMap((row): JournalRecord[] => {
      const outcome = outcomes.get(row)!;
      return outcome.final ? [{ t: 'row', line: row.line, username: row.username, result: outcome.result, user_id: outcome.userId, error: outcome.error }] : [];
    }));
    return outcomes;
  }

  /**
   * The memberships and phones of the rows now created or updated. Done after the users, whatever
   * happened to them, so a re-run finds the same state: a row whose phone or group failed is failed,
   * and the next run adds only what is still missing.
   */
  private async attach(rows: readonly DuoUserRow[], planned: ReadonlyMap<DuoUserRow, PlannedRow>, outcomes: Map<DuoUserRow, Outcome>): Promise<void> {
    const items: AttachItem[] = [];
    for (const row of rows) {
      const outcome = outcomes.get(row)!;
      const plan = planned.get(row)!;
      if (!outcome.final || (outcome.result !== 'created' && outcome.result !== 'updated' && outcome.result !== 'restored')) continue;
      const created = outcome.result === 'created';
      if (!hasAdditions(plan.adds) && !(created && this.attachOptions.enroll)) continue;
      items.push({ row, userId: outcome.userId!, adds: plan.adds, created, hasPhone: (plan.user?.phones.length ?? 0) > 0 });
    }
    if (items.length === 0) return;
    const attacher = new Attacher(this.session, this.bulk, this.attachOptions, this.context.groups, this.context.phones, this.context.tokens);
    const attached = await attacher.attach(items);
    this.enrollmentsRefused += attacher.enrollmentsRefused;
    for (const [row, result] of attached) {
      const outcome = outcomes.get(row)!;
      outcomes.set(row, result.error === null
        ? { ...outcome, notes: result.notes }
        : { result: 'failed', userId: outcome.userId, error: `${outcome.result}, but ${result.error}`, final: true, notes: result.notes });
    }
  }

  /** What the plan decided for a row that is not a create. */
  private async decided(planned: PlannedRow): Promise<Outcome> {
    const { action, user, reason } = planned;
    if (action === 'unchanged' || (action === 'update' && !this.options.update)) return { result: 'exists', userId: user!.user_id, error: null, final: true, planned: action };
    if (action === 'update') return this.update(planned);
    if (action === 'restore') return this.restore(planned);
    if (action === 'migrate') return failure(`${reason}. Run "duo-bridge migrate" first: import never creates a second user for a person Duo already has`, user!.user_id);
    return failure(reason, user?.user_id ?? null);
  }

  /** Brings an existing user's fields and aliases in line with its row (--update). */
  private async update({ row, user }: PlannedRow): Promise<Outcome> {
    const current = user!;
    const changes = userChanges(row, current);
    // Only memberships or phones to add: attach() does that.
    if (changes === null) return { result: 'updated', userId: current.user_id, error: null, final: true };
    const to = changes.aliases ? rowAliases(row) : { ...current.aliases };
    const [result] = await applyRenames(this.session, [
      { userId: current.user_id, from: { username: current.username, aliases: { ...current.aliases } }, to: { username: current.username, aliases: to }, fields: changes.fields },
    ]);
    return result!.ok ? { result: 'updated', userId: current.user_id, error: null, final: true } : failure(`not updated: ${result!.error}`, current.user_id);
  }

  /**
   * Takes the row's Duo user out of the Trash (journaled: a rollback sends it back), reads it back,
   * and brings its fields, aliases and status in line with the row: Duo may restore it with the
   * status it had, or as active.
   */
  private async restore({ row, user }: PlannedRow): Promise<Outcome> {
    const { client } = this.options;
    const id = user!.user_id;
    const write = await this.session.write({ op: 'restore', user_ids: [id] }, () => restoreUsers(client, [id]));
    if (write.status === 'refused') return failure(`not restored from the Trash: ${write.error.message}`, id);
    const now = toTenantUser(await getUser(client, id));
    if (now.status === TRASHED) return { result: 'failed', userId: id, error: 'Duo did not answer the restore; re-run the same command to resume', final: false };
    const changes = userChanges(row, now) ?? { fields: {}, aliases: false };
    const status = row.status === '' ? 'active' : row.status;
    const fields = now.status === status ? changes.fields : { ...changes.fields, status };
    if (Object.keys(fields).length > 0 || changes.aliases) {
      const [result] = await applyRenames(this.session, [{
        userId: id, from: { username: now.username, aliases: { ...now.aliases } }, to: { username: now.username, aliases: changes.aliases ? rowAliases(row) : { ...now.aliases } }, fields,
      }]);
      if (!result!.ok) return failure(`restored from the Trash, but not updated: ${result!.error}`, id);
    }
    return { result: 'restored', userId: id, error: null, final: true };
  }

  /**
   * The rows' users read back by username after their creates (one lookup): a user Duo now holds is
   * this run's — claimed, in one flush, when only this reading says so, so that a rollback finds it
   * whatever happens next — or someone else's (the row's outcome: `exists`). Rows Duo holds no
   * user for are left out.
   */
  private async readBack(rows: readonly DuoUserRow[], outcomes: Map<DuoUserRow, Outcome>): Promise<Map<DuoUserRow, TenantUser>> {
    const found = await lookupBatch(this.options.client, rows, { aliases: false });
    const ours = new Map<DuoUserRow, TenantUser>();
    for (const row of rows) {
      const owner = found.get(nameKey(row.username));
      if (owner === undefined || nameKey(owner.username) !== nameKey(row.username)) continue;
      if (this.history.isOurs(owner)) ours.set(row, owner);
      else outcomes.set(row, { result: 'exists', userId: owner.user_id, error: null, final: true });
    }
    await this.session.claimUsers([...ours.values()]);
    return ours;
  }

  /** Creates one by one the rows Duo holds no user for. */
  private async createMissing(rows: readonly DuoUserRow[], outcomes: Map<DuoUserRow, Outcome>, created: Map<DuoUserRow, string>): Promise<void> {
    for (const row of rows) {
      if (created.has(row) || outcomes.has(row)) continue;
      const single = await this.createOne(row);
      if (typeof single === 'string') created.set(row, single);
      else outcomes.set(row, single);
    }
  }

  /** New users with their aliases: in bulk operations where Duo takes them, else bulk_create and single calls. */
  private async create(rows: readonly DuoUserRow[], outcomes: Map<DuoUserRow, Outcome>): Promise<Map<DuoUserRow, string>> {
    if (rows.length === 0 || this.bulk.size === 0) return this.createBatch(rows, outcomes);
    const created = await this.createInBulk(rows, outcomes);
    return created ?? this.createBatch(rows, outcomes);
  }

  /**
   * The batch's users with their aliases in /admin/v1/bulk calls (50 operations each). Whatever
   * Duo answers (results, a bare OK, nothing), the users are then read back, the whole batch in one
   * lookup: those found are this run's (journaled as claims), those missing are created one by one,
   * which also names why Duo refused them. Returns null when Duo refused the endpoint itself before
   * any of the batch was sent: the decision is journaled, and this run and its resumes go on with
   * single calls.
   */
  private async createInBulk(rows: readonly DuoUserRow[], outcomes: Map<DuoUserRow, Outcome>): Promise<Map<DuoUserRow, string> | null> {
    const sent: DuoUserRow[] = [];
    for (let i = 0; i < rows.length && this.bulk.size > 0; ) {
      const chunk = rows.slice(i, i + this.bulk.size);
      i += chunk.length;
      const operations = chunk.map((row) => createUserOperation(newDuoUser(row), aliasesParam(row.aliases)));
      if ((await this.bulk.sendOne(this.session, { op: 'bulk', operations }, true)) === null) break;
      sent.push(...chunk);
    }
    if (sent.length === 0) return null;

    const created = new Map<DuoUserRow, string>();
    for (const [row, owner] of await this.readBack(sent, outcomes)) {
      if (hasAliases(owner, row)) this.history.aliasesDone.add(nameKey(row.username));
      created.set(row, owner.user_id);
    }
    await this.createMissing(sent, outcomes, created);
    // The rows not sent because Duo refused the endpoint half-way: the single-call path.
    const unsent = rows.filter((row) => !sent.includes(row));
    for (const [row, userId] of await this.createBatch(unsent, outcomes)) created.set(row, userId);
    return created;
  }

  /** One bulk_create; if it fails or its answer is lost, re-read Duo and create what is missing one by one. */
  private async createBatch(rows: readonly DuoUserRow[], outcomes: Map<DuoUserRow, Outcome>): Promise<Map<DuoUserRow, string>> {
    const created = new Map<DuoUserRow, string>();
    if (rows.length === 0) return created;
    const bulk = await this.session.write({ op: 'bulk_create', usernames: rows.map((r) => r.username) },
      () => bulkCreateUsers(this.options.client, rows.map(newDuoUser)),
      (users) => ({ created: users.map((u) => ({ username: u.username, user_id: u.user_id })) }));
    if (bulk.status === 'ok') {
      const ids = new Map(bulk.value.map((u) => [nameKey(u.username), u.user_id]));
      for (const row of rows) {
        const id = ids.get(nameKey(row.username));
        if (id !== undefined) created.set(row, id);
      }
      if (created.size === rows.length) return created;
    }
    // A refused batch created nothing: a user found now was created by someone else meanwhile (the journal knows).

    const missing = rows.filter((row) => !created.has(row));
    for (const [row, owner] of await this.readBack(missing, outcomes)) created.set(row, owner.user_id);
    await this.createMissing(missing, outcomes, created);
    return created;
  }

  private async createOne(row: DuoUserRow): Promise<string | Outcome> {
    for (let attempt = 1; attempt <= 2; attempt++) {
      const write = await this.session.write({ op: 'create', usernames: [row.username] },
        () => createUser(this.options.client, newDuoUser(row)),
        (user) => ({ created: [{ username: user.username, user_id: user.user_id }] }));
      if (write.status === 'ok') return write.value.user_id;
      if (write.status === 'refused') return failure(write.error.message, null);
      const outcomes = new Map<DuoUserRow, Outcome>();
      const ours = (await this.readBack([row], outcomes)).get(row);
      if (ours !== undefined) return ours.user_id;
      if (outcomes.has(row)) return outcomes.get(row)!;
    }
    return { result: 'failed', userId: null, error: 'Duo did not answer the create; re-run the same command to resume', final: false };
  }

  /** Sets a created user's aliases (one modify call; repeating it is harmless). */
  private async finishCreated(row: DuoUserRow, userId: string): Promise<Outcome> {
    const key = nameKey(row.username);
    const done: Outcome = { result: 'created', userId, error: null, final: true };
    if (row.aliases.length === 0 || this.history.aliasesDone.has(key)) return done;
    const aliases = aliasesParam(row.aliases);
    for (let attempt = 1; attempt <= ALIAS_ATTEMPTS; attempt++) {
      const write = await this.session.write({ op: 'aliases', usernames: [row.username], user_id: userId, aliases },
        () => modifyUser(this.options.client, userId, { aliases }));
      if (write.status === 'ok') return done;
      if (write.status === 'refused') return failure(`the user was created but its aliases were not set: ${write.error.message}`, userId);
    }
    return { result: 'failed', userId, error: 'the user was created but Duo did not answer when its aliases were set; re-run to resume', final: false };
  }
}

/** Does the Duo user hold exactly the row's aliases, slot for slot? */
function hasAliases(user: TenantUser, row: DuoUserRow): boolean {
  const wanted = rowAliases(row);
  const slots = new Set([...Object.keys(wanted), ...Object.keys(user.aliases)]);
  return [...slots].every((slot) => nameKey(wanted[slot] ?? '') === nameKey(user.aliases[slot] ?? ''));
}

function failure(error: string, userId: string | null): Outcome {
  return { result: 'failed', userId, error, final: true };
}

function droppedNote(row: DuoUserRow): string {
  return row.droppedAliases.map(([n, value]) => `alias${n} "${value}" left out: it equals the username`).join('; ');
}

