import type { Client } from 'ldapts';
import { formatObjectGuid } from './guid.js';

/** The DC a cookie belongs to: a cookie from another DC, or from this one restored (a new invocationId), is not used. */
export interface ExpectedDc {
  readonly host: string;
  readonly invocationId: string;
}

/** A DC as it answers: who it is, and the naming context it serves. */
export interface DcIdentity extends ExpectedDc {
  readonly namingContext: string;
}

/** rootDSE's naming context and DC, and that DC's invocationId (its NTDS Settings object: readable by any user). */
export async function readDcIdentity(client: Client): Promise<DcIdentity> {
  const root = (await client.search('', { scope: 'base', attributes: ['dsServiceName', 'defaultNamingContext', 'dnsHostName'] })).searchEntries[0];
  const service = String(root?.['dsServiceName'] ?? '');
  const namingContext = String(root?.['defaultNamingContext'] ?? '');
  if (service === '' || namingContext === '') throw new Error('the server\'s rootDSE names no dsServiceName or defaultNamingContext: not an AD DC');
  const ntds = (await client.search(service, { scope: 'base', attributes: ['invocationId'], explicitBufferAttributes: ['invocationId'] })).searchEntries[0];
  const id = ntds?.['invocationId'];
  if (!Buffer.isBuffer(id) || id.length !== 16) throw new Error(`${service} has no readable invocationId`);
  return { host: String(root?.['dnsHostName'] ?? ''), invocationId: formatObjectGuid(id), namingContext };
}

