import { writeFileSync } from 'node:fs';
import { formatObjectGuid } from '../../src/ad/guid.js';
import { BASE, guidBytes, VPN } from '../helpers/sync-ldif.js';

/*
 * The churn simulation's Active Directory: people with stable objectGUIDs (from their id, never
 * their name), in three places — OU=People and OU=Sales of corp.example, and a child domain whose
 * users a dump taken on 389 instead of the global catalog loses behind a referral — and each
 * day's dump as `ldapsearch -LLL` writes it, good or bad.
 */

export const STAFF = `CN=Staff,OU=Groups,${BASE}`;
export const MAPPED_GROUPS = [VPN, STAFF] as const;
const CHILD = `DC=child,${BASE}`;

export type Place = 'People' | 'Sales' | 'Child';

export interface AdPerson {
  /** objectGUID comes from it: a re-created account gets a new id. */
  readonly id: number;
  sam: string;
  given: string;
  sn: string;
  mail: string;
  disabled: boolean;
  vpn: boolean;
  staff: boolean;
  readonly place: Place;
}

export function guidOf(id: number): string {
  return formatObjectGuid(guidBytes(id));
}

export function placeOf(id: number): Place {
  return id % 7 === 0 ? 'Child' : id % 7 < 3 ? 'Sales' : 'People';
}

/** A joiner's values are fixed by its id, so that a Duo user made "before AD brings it" can carry them. */
export function newPerson(id: number): AdPerson {
  return { id, sam: `u${id}`, given: `Given${id}`, sn: `Sur${id}`, mail: `u${id}@corp.example`, disabled: false, vpn: id % 2 === 0, staff: id % 3 === 0, place: placeOf(id) };
}

/** What a day's dump holds: all of AD, or AD on a bad day. */
export type DumpKind = 'ok' | 'vanished-ou' | 'empty' | 'referral';

export interface Dump {
  readonly kind: DumpKind;
  /** The people in it (the read as a sync sees it). */
  readonly people: readonly AdPerson[];
  /** Whether a correct reader must call it incomplete (an `ldapsearch -L*` referral line). */
  readonly incomplete: boolean;
}

export function makeDump(people: readonly AdPerson[], kind: DumpKind, vanished: Place): Dump {
  switch (kind) {
    case 'ok':
      return { kind, people, incomplete: false };
    case 'vanished-ou':
      return { kind, people: people.filter((p) => p.place !== vanished), incomplete: false };
    case 'empty':
      return { kind, people: [], incomplete: false };
    case 'referral':
      return { kind, people: people.filter((p) => p.place !== 'Child'), incomplete: true };
  }
}

export function dnOf(p: AdPerson): string {
  return p.place === 'Child' ? `CN=${p.given} ${p.sn},OU=People,${CHILD}` : `CN=${p.given} ${p.sn},OU=${p.place},${BASE}`;
}

function entryOf(p: AdPerson): string {
  const dn = dnOf(p);
  return [
    `dn: ${dn}`,
    'objectClass: top', 'objectClass: person', 'objectClass: organizationalPerson', 'objectClass: user',
    `objectCategory: CN=Person,CN=Schema,CN=Configuration,${BASE}`,
    `objectGUID:: ${guidBytes(p.id).toString('base64')}`,
    `sAMAccountName: ${p.sam}`, `givenName: ${p.given}`, `sn: ${p.sn}`, `displayName: ${p.given} ${p.sn}`,
    `mail: ${p.mail}`,
    `userAccountControl: ${p.disabled ? 514 : 512}`,
    ...(p.vpn ? [`memberOf: ${VPN}`] : []),
    ...(p.staff ? [`memberOf: ${STAFF}`] : []),
  ].join('\n');
}

/**
 * The dump file. A referral-cut dump is what `ldapsearch -LLL` writes when the search meets a
 * referral it does not chase: the entries it has, and the reference as a comment line.
 */
export function writeDump(path: string, dump: Dump): void {
  const records = dump.people.map(entryOf);
  if (dump.kind === 'referral') records.push(`# refldap://child.corp.example/${CHILD}??sub`);
  writeFileSync(path, records.length === 0 ? '' : records.join('\n\n') + '\n');
}
