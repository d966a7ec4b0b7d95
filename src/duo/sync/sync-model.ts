import { nameKey } from '../../names.js';

import type { TenantUser } from '../tenant/tenant.js';

import type { HeldAction, SourceIdentity, SyncState } from './sync-state.js';
import type { DuoNames } from '../tenant/duo-names.js';


/** One AD user as a sync wants it in Duo, anchored on its objectGUID. */
export interface AdUser {
  readonly guid: string;
  readonly dn: string;
  readonly username: string;
  readonly aliases: readonly string[];
  readonly realname: string;
  readonly firstname: string;
  readonly lastname: string;
  readonly email: string;
  readonly enabled: boolean;
  /** Duo group names the mapped AD groups give it. */
  readonly groups: readonly string[];
}

/** How complete the AD read was: only a complete read may take anyone away. */
export interface AdRead {
  readonly identity: SourceIdentity;
  /** Why the read may have missed users (a referral not followed); empty: complete. No approval overrides these. */
  readonly problems: readonly string[];
  /** What makes the source look wrong without proving it (a mapped group with no member): held until approved. */
  readonly doubts: readonly string[];
  /** Users without an objectGUID or without a username: cannot be anchored or named. */
  readonly unusable: number;
  /** The objectGUIDs of AD users read without a username: present, so never taken for leavers. */
  readonly unnamed?: ReadonlySet<string>;
  /** AD users with a value validate refuses (a control character, a malformed email): conflicts, never written, still present. */
  readonly rejected?: readonly { readonly guid: string; readonly username: string; readonly reason: string }[];
  /** Of those present but unusable (unnamed or rejected), the ones disabled in AD: disabled in Duo all the same. */
  readonly disabledUnnamed?: ReadonlySet<string>;
}

/** What the Duo listing returned, and what it said it held. */
export interface DuoRead {
  /** Every listed user, by user_id. */
  readonly users: ReadonlyMap<string, TenantUser>;
  /** Duo's `metadata.total_objects`, when it said. */
  readonly total: number | null;
  /** Why the listing may be short although its count adds up (the tenant changed while it was listed). */
  readonly problem?: string;
  /** Name keys of Duo groups a Duo directory sync manages: a mapped one is never changed. */
  readonly syncedGroups?: ReadonlySet<string>;
}

export const THRESHOLD_KINDS = ['disable', 'trash', 'removal', 'rename'] as const;
export type ThresholdKind = (typeof THRESHOLD_KINDS)[number];
export type DriftKind = 'status' | 'fields' | 'names' | 'groups';
export type DriftPolicy = 'ad-wins' | 'report';

export interface SyncPolicy {
  readonly trashAfterDays: number;
  readonly thresholds: Readonly<Record<ThresholdKind, { readonly count: number; readonly percent: number }>>;
  readonly maxShrinkPercent: number;
  /** Name keys of users never touched (break-glass, service accounts). */
  readonly protectUsers: ReadonlySet<string>;
  /** Name keys of Duo groups whose memberships are never changed. */
  readonly protectGroups: ReadonlySet<string>;
  readonly drift: Readonly<Record<DriftKind, DriftPolicy>>;
  /** The Duo groups the config maps (names as configured). */
  readonly mappedGroups: readonly string[];
  /** Take over unmanaged Duo users that are these AD users, and re-anchor re-created AD accounts. */
  readonly adopt: boolean;
  /** A user with last_directory_sync is still a Duo directory sync's (unless asserted deleted). */
  readonly syncDeleted: boolean;
}

/** What the admin allows for one run only, on the command line: never from a config. */
export interface RunOverrides {
  /** `--max-disables N` and its kin. */
  readonly kinds?: Partial<Record<ThresholdKind, number>>;
  /** `--max-shrink-percent N` given for this run: a shrink up to N% is expected. */
  readonly shrinkPercent?: number;
  /** `--accept-source-change`: the source's identity changed on purpose. */
  readonly sourceChange?: boolean;
}

export interface PlanContext {
  readonly ad: ReadonlyMap<string, AdUser>;
  readonly adRead: AdRead;
  readonly duo: DuoRead;
  readonly state: SyncState;
  /** The state was missing or unreadable: this run manages only what it adopts, and deprovisions nothing. */
  readonly firstRun: boolean;
  readonly policy: SyncPolicy;
  readonly now: Date;
  /** `--approve ID`: the held actions that ID names may go, once. */
  readonly approve?: string | undefined;
  readonly overrides?: RunOverrides;
  /** Why this run's clock can't be trusted (behind the last run, or far from Duo's): nothing destructive. */
  readonly clockProblems?: readonly string[];
  /** The state was rebuilt from the run journals (it was lost or unreadable). */
  readonly rebuilt?: boolean;
  /** What the run knows about its own inputs that the admin must read (a state rebuilt from journals). */
  readonly notes?: readonly string[];
  /**
   * An incremental read (`sync --changes-only`): the managed users (objectGUIDs) whose AD entry
   * changed, the only ones read on either side. The plan is limited to them; no other managed user
   * is missing, forgotten or counted as a shrink, and no newcomer is decided (a read that met one
   * became a full read).
   */
  readonly only?: ReadonlySet<string>;
}

export interface UserFields {
  readonly realname: string;
  readonly firstname: string;
  readonly lastname: string;
  readonly email: string;
}

interface Base {
  readonly guid: string;
  readonly username: string;
  readonly user_id: string | null;
}

export type SyncAction =
  | (Base & { readonly kind: 'create'; readonly names: DuoNames; readonly fields: UserFields; readonly groups: readonly string[] })
  | (Base & { readonly kind: 'adopt'; readonly user_id: string; readonly how: string })
  /** A managed Duo user bound to a re-created AD account (a new objectGUID): keeps its user_id. */
  | (Base & { readonly kind: 'reanchor'; readonly user_id: string; readonly from_guid: string; readonly how: string })
  | (Base & { readonly kind: 'restore'; readonly user_id: string })
  /** `status`: the user's status in Duo when planned (what a rollback sets back). */
  | (Base & { readonly kind: 'enable'; readonly user_id: string; readonly reason: string; readonly status: string })
  | (Base & { readonly kind: 'update'; readonly user_id: string; readonly before: Readonly<Record<string, string>>; readonly after: Readonly<Record<string, string>> })
  | (Base & { readonly kind: 'rename'; readonly user_id: string; readonly from: DuoNames; readonly to: DuoNames })
  | (Base & { readonly kind: 'add_membership' | 'remove_membership'; readonly user_id: string; readonly group: string })
  | (Base & { readonly kind: 'disable'; readonly user_id: string; readonly reason: string; readonly status: string })
  | (Base & { readonly kind: 'trash'; readonly user_id: string; readonly reason: string });

export type ActionKind = SyncAction['kind'];
export const ACTION_KINDS: readonly ActionKind[] = ['adopt', 'reanchor', 'create', 'restore', 'enable', 'update', 'rename', 'add_membership', 'remove_membership', 'disable', 'trash'];

/** The kinds a safeguard counts and may hold: they take access or names away. */
export function thresholdKindOf(action: { readonly kind: string }): ThresholdKind | null {
  switch (action.kind) {
    case 'disable':
      return 'disable';
    case 'trash':
      return 'trash';
    case 'remove_membership':
      return 'removal';
    case 'rename':
      return 'rename';
    default:
      return null;
  }
}

/** The kinds that make a Duo user this sync's: never on an incomplete read, never twice for one person. */
export function isOwnershipAction(action: SyncAction): boolean {
  return action.kind === 'create' || action.kind === 'adopt' || action.kind === 'reanchor';
}

export interface Conflict {
  readonly guid: string;
  readonly username: string;
  readonly reason: string;
}

export interface Drift {
  readonly guid: string;
  readonly user_id: string;
  readonly username: string;
  readonly kind: DriftKind;
  readonly detail: string;
  /** What this run does about it: AD's value written back, or only reported. */
  readonly policy: DriftPolicy;
}

export interface SyncPlan {
  readonly plan_id: string;
  readonly made_at: string;
  readonly host: string;
  readonly source: SourceIdentity;
  readonly ad_users: number;
  /** AD users without an objectGUID or a username: not synced. */
  readonly ad_unusable: number;
  readonly duo_users: number;
  readonly managed: number;
  /** Actions to apply now. */
  readonly actions: readonly SyncAction[];
  /** Actions a safeguard held back (destructive ones, and what changes ownership on an incomplete read), and why. */
  readonly held: readonly SyncAction[];
  readonly hold_reasons: readonly string[];
  readonly conflicts: readonly Conflict[];
  readonly drift: readonly Drift[];
  /** Managed users no longer in Duo (deleted by someone, or purged from the Trash): forgotten, on complete reads only. */
  readonly gone: readonly { readonly guid: string; readonly user_id: string; readonly username: string }[];
  /** Managed users left alone: protected, a Duo directory sync's, or not seen by an incomplete read. */
  readonly untouched: readonly { readonly guid: string; readonly username: string; readonly reason: string }[];
  /** What the admin must know about this run besides the actions: an incomplete read, a changed hold, a refused group. */
  readonly notices: readonly string[];
  /** What the plan was made from, per AD user it acts on: a saved plan is stale when these differ. */
  readonly basis: Readonly<Record<string, string>>;
  /** The state the plan was made against (its sha256). */
  readonly state_sha256: string;
  /** The held set an approval released in this plan (its id), if any. */
  readonly approved: string | null;
  /**
   * What `--approve` takes to release what this plan holds: a digest of exactly the held actions, so
   * a changed held set is a new id. Null when nothing is held, or only an incomplete read holds it
   * (no approval overrides that).
   */
  readonly approve_id: string | null;
  /** Both sides were read completely and the clock is sane: ownership may change, absences count. */
  readonly read_complete: boolean;
  /** The read was complete and neither a shrink nor a source change is held: the AD size is the new baseline. */
  readonly baseline: boolean;
  /** The reads were complete and the source is the state's (or the admin accepted it): absences count, the AD size is a new baseline. */
  readonly source_trusted: boolean;
}

export function heldActionOf(action: SyncAction): HeldAction {
  const detail = action.kind === 'remove_membership' ? action.group : action.kind === 'rename' ? describeNames(action.to) : 'reason' in action ? action.reason : '';
  return { kind: action.kind, guid: action.guid, user_id: action.user_id, username: action.username, detail };
}

/** What makes two held actions the same for an approval: the kind, the AD user, and for a removal or rename its target. */
export function heldKey(h: HeldAction): string {
  return JSON.stringify([h.kind, h.guid, h.user_id, h.kind === 'remove_membership' || h.kind === 'rename' ? nameKey(h.detail) : '']);
}

export function describeNames(names: DuoNames): string {
  const aliases = Object.values(names.aliases);
  return aliases.length === 0 ? names.username : `${names.username} (aliases ${aliases.join(', ')})`;
}
