import { debuglog } from 'node:util';
import { Ber, BerWriter, Control, ResultCodeError, type BerReader } from 'ldapts';
import { formatObjectGuid } from './guid.js';
import { translateLdapError, type LdapStage } from './ldap-errors.js';
import { bindLdap, newLdapClient, type LdapConnection } from './ldap-source.js';
import { readDcIdentity, type DcIdentity, type ExpectedDc } from './dc-identity.js';

const debug = debuglog('duo-bridge');

/** LDAP_SERVER_DIRSYNC_OID: the entries (and attributes) changed since a cookie. */
const DIRSYNC_OID = '1.2.840.113556.1.4.841';
/** LDAP_DIRSYNC_OBJECT_SECURITY: no replication right needed; the caller sees only what it may read (and no deletions). */
const OBJECT_SECURITY = 0x1;
/** LDAP_DIRSYNC_INCREMENTAL_VALUES: a changed `member` comes back as the values added and removed, not the whole list. */
const INCREMENTAL_VALUES = 0x80000000;
/** The flags as the 32-bit signed INTEGER AD decodes them. */
const FLAGS = (OBJECT_SECURITY | INCREMENTAL_VALUES) | 0;
/** Nothing matches it: a read from no cookie with it only brings the cookie up to now. */
const NOTHING = '(&(objectClass=user)(objectGUID=\\00))';
// Users (not computers, which are objectClass=user too), groups (a membership changes on the group)
// and OUs (one renamed or moved changes the DN of every user under it, and none of them changes itself).
const WATCHED = '(|(&(objectCategory=person)(objectClass=user))(objectClass=group)(objectClass=organizationalUnit))';

/**
 * The request carries the flags, a byte budget per answer and the cookie; the answer's control (the
 * same OID: ldapts parses it into this object) carries "more data" and the next cookie.
 */
class DirSyncControl extends Control {
  more = false;

  constructor(public cookie: Buffer) {
    super(DIRSYNC_OID, { critical: true });
  }

  override writeControl(writer: BerWriter): void {
    const value = new BerWriter();
    value.startSequence();
    value.writeInt(FLAGS);
    value.writeInt(0x7fffffff);
    if (this.cookie.length > 0) value.writeBuffer(this.cookie, Ber.OctetString);
    else value.writeString('');
    value.endSequence();
    writer.writeBuffer(value.buffer, Ber.OctetString);
  }

  override parseControl(reader: BerReader): void {
    if (reader.readSequence() === null) return;
    this.more = (reader.readInt() ?? 0) !== 0;
    reader.readInt();
    this.cookie = reader.readString(Ber.OctetString, true) ?? Buffer.alloc(0);
  }
}

/** One object DirSync returned: a user whose values changed, a group whose members did, or an OU (its DN starts with OU=). */
export interface ChangedObject {
  readonly guid: string;
  readonly dn: string;
  /** A group's members added and removed (DNs); empty for a user. */
  readonly members: readonly string[];
}

export type ChangesRead =
  | { readonly kind: 'changes'; readonly dc: DcIdentity; readonly cookie: string; readonly changed: readonly ChangedObject[] }
  /** More changed objects than `limit`: a full read is cheaper (the objects are not kept). */
  | { readonly kind: 'too-many'; readonly dc: DcIdentity; readonly count: number }
  /** The DC refused the cookie (another DC's, or too old), or DirSync itself. */
  | { readonly kind: 'refused'; readonly dc: DcIdentity; readonly why: string };

/**
 * What changed in the directory since `cookie` (base64; null: only take the cookie of now, which
 * the full read that follows starts from). DirSync must search from the naming context's root, so
 * the caller scopes the changed objects to its own base. `expect` is the DC the cookie came from:
 * another one (its invocationId differs) is answered without reading.
 */
export async function readDirectoryChanges(
  connection: LdapConnection,
  cookie: string | null,
  options: { readonly attributes: readonly string[]; readonly limit: number; readonly expect?: ExpectedDc | undefined },
): Promise<ChangesRead> {
  const client = newLdapClient(connection);
  const at: { stage: LdapStage } = { stage: 'connect' };
  let entries = 0;
  try {
    await bindLdap(client, connection, at);
    const dc = await readDcIdentity(client);
    if (options.expect !== undefined && (options.expect.invocationId !== dc.invocationId || options.expect.host.toLowerCase() !== dc.host.toLowerCase())) {
      return { kind: 'refused', dc, why: `the DC is not the one the cookie came from (${options.expect.host} ${options.expect.invocationId} → ${dc.host} ${dc.invocationId}): restored, re-provisioned or another DC` };
    }
    const control = new DirSyncControl(Buffer.from(cookie ?? '', 'base64'));
    const changed: ChangedObject[] = [];
    for (;;) {
      let result;
      try {
        result = await client.search(dc.namingContext, {
          scope: 'sub', filter: cookie === null ? NOTHING : WATCHED,
          attributes: [...new Set(['objectGUID', 'member', 'name', ...options.attributes])], explicitBufferAttributes: ['objectGUID'],
        }, control);
      } catch (error) {
        // unavailableCriticalExtension (12): a cookie this DC can't read, or no DirSync at all.
        if (error instanceof ResultCodeError && error.code === 12) return { kind: 'refused', dc, why: `the DC refused the DirSync cookie (${oneLine(error.message)})` };
        throw error;
      }
      for (const entry of result.searchEntries) {
        entries++;
        if (entries > options.limit) continue;
        const guid = entry['objectGUID'];
        if (!Buffer.isBuffer(guid) || guid.length !== 16) continue;
        const members = Object.entries(entry).filter(([name]) => /^member(;range=\d+-\d+)?$/i.test(name)).flatMap(([, v]) => (Array.isArray(v) ? v : [v]).map(String));
        changed.push({ guid: formatObjectGuid(guid), dn: entry.dn, members });
      }
      if (!control.more) break;
    }
    if (entries > options.limit) return { kind: 'too-many', dc, count: entries };
    return { kind: 'changes', dc, cookie: control.cookie.toString('base64'), changed };
  } catch (error) {
    debug('dirsync %s failed: %o', at.stage, error);
    throw translateLdapError(error, { url: connection.url, stage: at.stage, bindDn: connection.bindDn, entries });
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
