import { debuglog } from 'node:util';
import { Client, type Entry } from 'ldapts';
import { BINARY_ATTRIBUTES, type DirectoryEntry } from './directory-entry.js';
import { translateLdapError, type LdapStage } from './ldap-errors.js';
import { readDcIdentity } from './dc-identity.js';
import { LdapError } from '../errors.js';

const debug = debuglog('duo-bridge');

export interface LdapSourceOptions {
  readonly url: string;
  readonly bindDn: string;
  readonly password: string;
  readonly base: string;
  readonly startTls: boolean;
  /** PEM of the CA(s) to trust; the system store is used when absent. Verification is never off. */
  readonly ca?: string | undefined;
  readonly filter: string;
  readonly attributes: readonly string[];
  readonly pageSize: number;
  readonly connectTimeoutMs: number;
  /** Per LDAP operation (bind, one page of search results). */
  readonly operationTimeoutMs: number;
  /**
   * The invocationId of the DC this read must come from (the one whose DirSync changes the run
   * reads): a connection answered by another (a load balancer, DNS round robin) fails the read,
   * rather than mix one DC's changes with another's not yet replicated values.
   */
  readonly sameDc?: string | undefined;
}

export interface LdapSearchProgress {
  entries: number;
  pages: number;
  referrals: number;
  /**
   * Referrals to somewhere users may live: not the DNS or configuration partitions AD always
   * refers a domain-wide search to. The search did not follow them, so it may have missed users.
   */
  userReferrals?: number;
}

/** The partitions an AD search from the domain root always refers to: never users. */
const NON_USER_PARTITIONS = /\/(?:DC=(?:Domain|Forest)DnsZones|CN=Configuration|CN=Schema),/i;

/**
 * Streams the entries of a paged subtree search, one page at a time: memory holds one page,
 * whatever the directory's size. Paging is not optional: AD stops an unpaged search at 1,000 entries.
 */
export async function* searchLdap(options: LdapSourceOptions, progress: LdapSearchProgress): AsyncGenerator<DirectoryEntry> {
  const client = newLdapClient(options);
  const at: { stage: LdapStage } = { stage: 'connect' };
  try {
    await bindLdap(client, options, at);
    if (options.sameDc !== undefined) {
      const dc = await readDcIdentity(client);
      if (dc.invocationId !== options.sameDc) {
        throw new LdapError('LDAP_DC_CHANGED', `${options.url}: answered by DC ${dc.host} (${dc.invocationId}), not the one whose changes this run reads (${options.sameDc}); nothing was written: the next run reads again`);
      }
    }
    const pages = client.searchPaginated(options.base, {
      scope: 'sub',
      filter: options.filter,
      attributes: [...options.attributes],
      explicitBufferAttributes: [...BINARY_ATTRIBUTES],
      paged: { pageSize: options.pageSize },
      // ldapts asks the server for a 10 s limit by default: too short for a large page on a busy DC.
      timeLimit: Math.ceil(options.operationTimeoutMs / 1000),
    });
    // One page of look-ahead: the DC builds the next page while this one is written out.
    const iterator = pages[Symbol.asyncIterator]();
    for (let next = iterator.next(); ; ) {
      const { value: page, done } = await next;
      if (done) break;
      next = iterator.next();
      // Its failure is awaited (and thrown) on the next turn; until then it must not count as unhandled.
      next.catch(() => undefined);
      progress.pages++;
      // Referrals to other naming contexts (DomainDnsZones, Configuration) are not users: not chased.
      progress.referrals += page.searchReferences.length;
      for (const uri of page.searchReferences) if (mayReferToUsers(uri)) progress.userReferrals = (progress.userReferrals ?? 0) + 1;
      for (const entry of page.searchEntries) {
        progress.entries++;
        yield toDirectoryEntry(entry);
      }
    }
  } catch (error) {
    debug('ldap %s failed: %o', at.stage, error);
    if (error instanceof LdapError) throw error;
    throw translateLdapError(error, { url: options.url, stage: at.stage, bindDn: options.bindDn, base: options.base, entries: progress.entries });
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** The connection's settings: TLS is verified always, against `ca` when given. */
export type LdapConnection = Pick<LdapSourceOptions, 'url' | 'bindDn' | 'password' | 'startTls' | 'ca' | 'connectTimeoutMs' | 'operationTimeoutMs'>;

export function newLdapClient(options: LdapConnection): Client {
  return new Client({
    url: options.url,
    connectTimeout: options.connectTimeoutMs,
    timeout: options.operationTimeoutMs,
    // Only for ldaps://: ldapts opens TLS whenever tlsOptions are given, so on ldap:// (port 389) they
    // would start a TLS handshake the DC never expects; with StartTLS they go to startTLS() instead.
    ...(/^ldaps:/i.test(options.url) ? { tlsOptions: tlsOptions(options) } : {}),
    strictDN: false,
  });
}

/** StartTLS when asked, then the simple bind; `at` follows the stage reached, for the error message. */
export async function bindLdap(client: Client, options: LdapConnection, at: { stage: LdapStage }): Promise<void> {
  if (options.startTls) await client.startTLS(tlsOptions(options));
  at.stage = 'bind';
  await client.bind(options.bindDn, options.password);
  at.stage = 'search';
}

// A fresh object per use: ldapts writes into the options it is given (it adds the socket).
function tlsOptions(options: LdapConnection): { ca?: string[] } {
  return options.ca === undefined ? {} : { ca: [options.ca] };
}

function toDirectoryEntry(entry: Entry): DirectoryEntry {
  const attributes = new Map<string, (string | Buffer)[]>();
  for (const [name, value] of Object.entries(entry)) {
    if (name === 'dn') continue;
    const values = (Array.isArray(value) ? value : [value]) as (string | Buffer)[];
    attributes.set(name.toLowerCase(), values);
  }
  return { dn: entry.dn, attributes };
}

/** Whether a search reference may lead to users: anything but the DNS, configuration and schema partitions. */
export function mayReferToUsers(uri: string): boolean {
  return !NON_USER_PARTITIONS.test(safeDecode(uri));
}

function safeDecode(uri: string): string {
  try {
    return decodeURIComponent(uri);
  } catch {
    return uri;
  }
}
