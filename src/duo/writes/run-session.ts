import { nameKey } from '../../names.js';
import type { DuoClient } from '../api/client.js';
import { findUsersByNames } from '../api/users-api.js';
import { bindJournal, Journal, type Intent, type JournalKind, type JournalRecord } from '../journal/journal.js';
import { RunHistory } from '../journal/run-history.js';
import { guardedWrite, type OutcomeDetail, type WriteOutcome } from './guarded-write.js';

export interface SessionOptions {
  /** The Duo host the run writes to: a journal of another host is refused when opened (absent: a preview reads any). */
  readonly host?: string | undefined;
  /** The run's client: its clock times the writes (send windows). Absent: the session only reads its journal. */
  readonly client?: DuoClient;
  /** Reading an existing journal (a rollback's source): a missing file is a usage error. */
  readonly mustExist?: boolean;
}

/** Who a user is, as reading Duo shows it: enough to tell whether this run created it. */
export type ReadUser = { readonly username: string; readonly user_id: string; readonly created?: number | null };

/**
 * One run's journal and what it says so far (its RunHistory, earlier unfinished runs of it
 * included): opened, bound to its input, written through, closed. Every journaled write of every
 * workflow goes through a session, and it is the only writer of claims — the records that say a
 * user, group or phone whose create went unanswered is this run's after all, learned by reading
 * Duo — so a resume and a rollback reach the same verdict on it.
 */
export class RunSession {
  private constructor(
    readonly journal: Journal,
    readonly history: RunHistory,
    private readonly options: SessionOptions,
  ) {}

  static async open(path: string, options: SessionOptions): Promise<RunSession> {
    const history = new RunHistory();
    const journal = await Journal.open(path, { replay: history.replay, ...(options.host === undefined ? {} : { host: options.host }), ...(options.mustExist ? { mustExist: true } : {}) });
    if (options.client !== undefined) journal.timeWith(options.client);
    return new RunSession(journal, history, options);
  }

  /** Opens the journal at `path`, lets `work` use it, and closes it whatever happens. */
  static async run<T>(path: string, options: SessionOptions, work: (session: RunSession) => Promise<T>): Promise<T> {
    const session = await RunSession.open(path, options);
    try {
      return await work(session);
    } finally {
      await session.close();
    }
  }

  get client(): DuoClient {
    if (this.options.client === undefined) throw new Error('this run session reads its journal only: it has no client');
    return this.options.client;
  }

  get path(): string {
    return this.journal.path;
  }

  /** An earlier run with this journal was started (a resume). */
  get resuming(): boolean {
    return this.journal.startRecord !== null;
  }

  /**
   * Binds the journal to the run's input (its sha256) and host: a new journal records them; an
   * earlier one must match (else JOURNAL_MISMATCH). True when this run resumes an earlier one.
   */
  bind(run: { kind: JournalKind; input: string; sha256?: string; assertions?: readonly string[] }): Promise<boolean> {
    if (this.options.host === undefined) throw new Error('a run session bound to its input needs the Duo host');
    return bindJournal(this.journal, { ...run, host: this.options.host });
  }

  /** A guarded write (guarded-write.ts): journaled before the call and after it. */
  write<T>(intent: Intent, call: () => Promise<T>, detail?: (value: T) => OutcomeDetail): Promise<WriteOutcome<T>> {
    return guardedWrite(this.journal, intent, call, detail);
  }

  /**
   * Whether this run created `user`, read from Duo; when only that reading says so (the create's
   * answer was lost), the claim is journaled before anything else happens.
   */
  async claimUser(user: ReadUser): Promise<boolean> {
    await this.claimUsers([user]);
    return this.history.isOurs(user);
  }

  /** claimUser for many users read together: the claims go to disk in one flush. */
  async claimUsers(users: readonly ReadUser[]): Promise<void> {
    const claims: JournalRecord[] = users.filter((user) => this.history.needsClaim(user)).map((user) => ({ t: 'claim', username: user.username, user_id: user.user_id }));
    if (claims.length > 0) await this.journal.append(...claims);
  }

  /** A group this run created, found by name after its create went unanswered. */
  async claimGroup(group: { readonly name: string; readonly group_id: string }): Promise<void> {
    await this.journal.append({ t: 'claim_group', name: group.name, group_id: group.group_id });
  }

  /** A phone this run created, found by number after its create went unanswered. */
  async claimPhone(phone: { readonly number: string; readonly extension: string }, phoneId: string): Promise<void> {
    await this.journal.append({ t: 'claim_phone', number: phone.number, extension: phone.extension, phone_id: phoneId });
  }

  /**
   * The creates of this run (or of the earlier runs it resumes) whose answer was lost, settled by
   * reading Duo: what is found is claimed, what is not is settled absent.
   * `groups` and `phones` settle theirs (they read the whole directory; loaded only when needed).
   */
  async settleUsers(): Promise<void> {
    const names = this.history.uncertainUserNames();
    if (names.length === 0) return;
    const wanted = new Set(names);
    await this.claimUsers((await findUsersByNames(this.client, names)).filter((user) => wanted.has(nameKey(user.username))));
  }

  /** The run finished: a later open is not a resume of unfinished work. */
  async finish(at: Date = new Date()): Promise<void> {
    await this.journal.append({ t: 'done', at: at.toISOString() });
  }

  close(): Promise<void> {
    return this.journal.close();
  }
}
