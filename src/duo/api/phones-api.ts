import type { DuoClient } from './client.js';
import { pagedList } from './paging.js';
import type { PhoneKind, PhoneNumber } from '../../phone.js';

/** The parts of Duo's phone object that duo-bridge reads. */
export interface DuoPhone {
  readonly phone_id: string;
  readonly number: string;
  readonly extension?: string;
  readonly type?: string;
  readonly platform?: string;
  readonly users?: readonly { readonly user_id: string; readonly username?: string }[];
}

const PHONE_PAGE = 500;

/** Phones with this number and extension (Duo's `number`/`extension` filter). */
export async function findPhones(client: DuoClient, phone: PhoneNumber): Promise<DuoPhone[]> {
  const { response } = await client.get('/admin/v1/phones', { number: phone.number, ...(phone.extension ? { extension: phone.extension } : {}) });
  return (response as DuoPhone[]).filter((p) => (p.extension ?? '') === phone.extension);
}

/** Every phone of the tenant, 500 a page. */
export function listPhones(client: DuoClient): AsyncGenerator<DuoPhone> {
  return pagedList<DuoPhone>(client, '/admin/v1/phones', (offset) => ({ limit: String(PHONE_PAGE), offset: String(offset) }));
}

export async function createPhone(client: DuoClient, phone: PhoneNumber, kind: PhoneKind): Promise<DuoPhone> {
  const { response } = await client.post('/admin/v1/phones', {
    number: phone.number, ...(phone.extension ? { extension: phone.extension } : {}), type: kind.type, platform: kind.platform,
  });
  return response as DuoPhone;
}

export function attachPhone(client: DuoClient, userId: string, phoneId: string): Promise<unknown> {
  return client.post(`/admin/v1/users/${encodeURIComponent(userId)}/phones`, { phone_id: phoneId });
}

export function detachPhone(client: DuoClient, userId: string, phoneId: string): Promise<unknown> {
  return client.delete(`/admin/v1/users/${encodeURIComponent(userId)}/phones/${encodeURIComponent(phoneId)}`);
}

export function deletePhone(client: DuoClient, phoneId: string): Promise<unknown> {
  return client.delete(`/admin/v1/phones/${encodeURIComponent(phoneId)}`);
}

/** Texts the Duo Mobile activation link to a phone (spends telephony credits). */
export function sendSmsActivation(client: DuoClient, phoneId: string): Promise<unknown> {
  return client.post(`/admin/v1/phones/${encodeURIComponent(phoneId)}/send_sms_activation`, { install: '1' });
}

/** Duo's enrollment email: a link with which the user enrolls a device (valid 30 days by default). */
export function sendEnrollmentEmail(client: DuoClient, username: string, email: string): Promise<unknown> {
  return client.post('/admin/v1/users/enroll', { username, email });
}
