import type { DuoUserRow } from '../../csv/duo-row.js';
import type { DuoClient } from '../api/client.js';
import { pendingDeletionDays } from '../api/settings-api.js';
import { TRASHED } from '../api/users-api.js';
import { planRows, type DecideOptions, type Plan } from '../plan/decide.js';
import { loadLiveTenant, type TenantSnapshot, type TenantUser } from '../tenant/tenant.js';
import { GroupDirectory } from '../writes/group-directory.js';
import { PhoneBook } from '../writes/phone-book.js';
import type { RunSession } from '../writes/run-session.js';
import { TokenBook } from '../writes/token-book.js';

/** Where a decision reads the tenant: live (its client), or a snapshot from `tenant export` (plan --tenant). */
export type TenantSource = { readonly client: DuoClient } | { readonly snapshot: TenantSnapshot; readonly path: string };

/** What the admin allowed: the same flags mean the same in plan, migrate and import. */
export interface DecisionFlags {
  /** --assert-sync-deleted */
  readonly syncDeleted?: boolean | undefined;
  /** --create-groups */
  readonly createGroups?: boolean | undefined;
  /** --share-phones */
  readonly sharePhones?: boolean | undefined;
  /** --restore-trashed */
  readonly restoreTrashed?: boolean | undefined;
}

/**
 * What the decision engine (plan/decide.ts) needs of a tenant besides its users — groups, phone
 * owners, hardware tokens, how long the Trash keeps users — gathered one way for plan, migrate and
 * import: each read the first time the rows need it (groups when a row names one…), and kept by the
 * writes of a run (the directories are the ones its writes update). `writes`: a run that will write
 * (import, migrate) also needs the phone book; plan on a whole tenant finds the owners in it.
 */
export class DecisionContext {
  groups: GroupDirectory | null = null;
  phones: PhoneBook | null = null;
  tokens: TokenBook | null = null;
  private days: number | null = null;
  /** What the admin should know about the tenant read (a snapshot too old to list tokens…). */
  readonly notes: string[] = [];

  constructor(
    readonly source: TenantSource,
    readonly flags: DecisionFlags,
    private readonly writes: boolean,
  ) {}

  /** Every user of the tenant: listed live, or the snapshot's. */
  async tenant(): Promise<readonly TenantUser[]> {
    const users = 'client' in this.source ? await loadLiveTenant(this.source.client) : this.source.snapshot.users;
    if (users.some((user) => user.status === TRASHED)) {
      this.days = 'client' in this.source ? await pendingDeletionDays(this.source.client) : this.source.snapshot.settings?.pending_deletion_days ?? null;
    }
    return users;
  }

  /**
   * Reads what these rows need and was not read yet. With a run's `session`, the creates of groups
   * and phones an earlier run of it left unanswered are settled as the directories are read.
   */
  async learn(rows: readonly DuoUserRow[], session?: RunSession): Promise<void> {
    const source = this.source;
    if (this.groups === null && rows.some((row) => row.groups.length > 0)) {
      this.groups = 'client' in source ? await GroupDirectory.load(source.client) : GroupDirectory.of(source.snapshot.groups);
      if (session !== undefined) await this.groups?.settle(session);
    }
    if (this.writes && this.phones === null && 'client' in source && rows.some((row) => row.phones.length > 0)) {
      this.phones = await PhoneBook.load(source.client);
      if (session !== undefined) await this.phones.settle(session);
    }
    if (!rows.some((row) => row.tokens.length > 0)) return;
    if ('client' in source) await (this.tokens ??= TokenBook.live()).learn(source.client, rows);
    else if (this.tokens === null) {
      this.tokens = TokenBook.fromSnapshot(source.snapshot.tokens, source.snapshot.users);
      if (this.tokens === null) {
        this.notes.push(`${source.path} lists no hardware tokens (a snapshot from before duo-bridge read them): whether Duo has the rows' tokens is not checked; "tenant export" again to check it`);
      }
    }
  }

  /** The decision engine's options: the admin's flags and what was read, with the run's own. */
  options(run: Pick<DecideOptions, 'hints' | 'ours'> = {}): DecideOptions {
    return {
      ...run,
      syncDeleted: this.flags.syncDeleted ?? false,
      createGroups: this.flags.createGroups ?? false,
      sharePhones: this.flags.sharePhones ?? false,
      restoreTrashed: this.flags.restoreTrashed ?? false,
      groups: this.groups?.groups,
      phoneOwners: this.phones?.owners,
      tokens: this.tokens?.get,
      pendingDeletionDays: this.days,
    };
  }
}

/** `plan`: what import and migrate would do with these rows (read-only), and how many users the tenant read holds. */
export async function planImport(rows: readonly DuoUserRow[], source: TenantSource, flags: DecisionFlags): Promise<{ plan: Plan; users: number; notes: readonly string[] }> {
  const context = new DecisionContext(source, flags, false);
  const tenant = await context.tenant();
  await context.learn(rows);
  return { plan: planRows(rows, tenant, context.options()), users: tenant.length, notes: context.notes };
}
