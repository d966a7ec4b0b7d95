import { nameKey } from '../../names.js';

/**
 * A user's names as Duo stores them: the username and up to eight aliases by slot (`alias1` ..
 * `alias8`). Usernames and aliases share one namespace, compared by nameKey. The one shape of a
 * user's names everywhere: the plan's target, the journal's rename steps, sync's actions, rollback.
 */
export interface DuoNames {
  readonly username: string;
  readonly aliases: Readonly<Record<string, string>>;
}

/** The slot name of alias number `n` (1-based). */
export const aliasSlot = (n: number): string => `alias${n}`;

/** Alias number `n` of a slot name (`alias3` → 3). */
export const slotNumber = (slot: string): number => Number(slot.slice('alias'.length));

/** Aliases in slots 1, 2, … in the order given. */
export function slotted(aliases: readonly string[]): Record<string, string> {
  return Object.fromEntries(aliases.map((alias, i) => [aliasSlot(i + 1), alias]));
}

/** The names of a user as Duo answers it (a DuoUser or a TenantUser): empty alias slots left out. */
export function namesOf(user: { readonly username: string; readonly aliases?: Readonly<Record<string, unknown>> | null | undefined }): DuoNames {
  const aliases = Object.entries(user.aliases ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '');
  return { username: user.username, aliases: Object.fromEntries(aliases) };
}

/** The username and every alias. */
export function allNames(names: DuoNames): string[] {
  return [names.username, ...Object.values(names.aliases)].filter((name) => name !== '');
}

/** The same names in the same slots, as Duo compares them. */
export function sameNames(a: DuoNames, b: DuoNames): boolean {
  const key = (n: DuoNames): string => JSON.stringify([nameKey(n.username), Object.entries(n.aliases).map(([s, v]) => [s, nameKey(v)]).sort()]);
  return key(a) === key(b);
}

/** The aliases as [number, value] pairs (what aliasesParam sends). */
export function aliasPairs(names: DuoNames): [number, string][] {
  return Object.entries(names.aliases).map(([slot, value]) => [slotNumber(slot), value]);
}
