import { writeFileSync } from 'node:fs';

/** One AD user of a sync scenario: what a day's LDIF dump holds for it. */
export interface LabUser {
  /** Stable across days: objectGUID is derived from it, never from the name. */
  readonly id: number;
  sam: string;
  given: string;
  sn: string;
  mail?: string;
  disabled?: boolean;
  /** Group DNs (memberOf). */
  groups: string[];
}

export const BASE = 'DC=corp,DC=example';
export const VPN = `CN=VPN,OU=Groups,${BASE}`;

/** 16 bytes from the id: the same user keeps its objectGUID whatever it is renamed to. */
export function guidBytes(id: number): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeUInt32LE(0x5ca1ab1e, 0);
  bytes.writeUInt32BE(id, 12);
  return bytes;
}

export function labUsers(count: number, from = 1): LabUser[] {
  return Array.from({ length: count }, (_, i) => {
    const id = from + i;
    return { id, sam: `user${String(id).padStart(3, '0')}`, given: `Given${id}`, sn: `Sur${id}`, mail: `user${id}@corp.example`, groups: id % 2 === 0 ? [VPN] : [] };
  });
}

/** A dump as `ldapsearch -LLL` writes it, with objectGUID in base64 and userAccountControl. */
export function ldifOf(users: readonly LabUser[]): string {
  if (users.length === 0) return '';
  return users.map((u) => [
    `dn: CN=${u.given} ${u.sn},OU=People,${BASE}`,
    'objectClass: top', 'objectClass: person', 'objectClass: organizationalPerson', 'objectClass: user',
    `objectCategory: CN=Person,CN=Schema,CN=Configuration,${BASE}`,
    `objectGUID:: ${guidBytes(u.id).toString('base64')}`,
    `sAMAccountName: ${u.sam}`, `givenName: ${u.given}`, `sn: ${u.sn}`, `displayName: ${u.given} ${u.sn}`,
    ...(u.mail ? [`mail: ${u.mail}`] : []),
    `userAccountControl: ${u.disabled ? 514 : 512}`,
    ...u.groups.map((g) => `memberOf: ${g}`),
  ].join('\n')).join('\n\n') + '\n';
}

export function writeLdif(path: string, users: readonly LabUser[]): void {
  writeFileSync(path, ldifOf(users));
}
