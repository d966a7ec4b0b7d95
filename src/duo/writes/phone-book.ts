import { phoneKey, type PhoneNumber } from '../../phone.js';
import type { DuoClient } from '../api/client.js';
import { listPhones } from '../api/phones-api.js';
import type { RunSession } from './run-session.js';

interface Entry {
  readonly phoneId: string;
  readonly owners: string[];
}

/**
 * Every phone number of the tenant and who holds it: the one question an import must answer before
 * attaching a phone is "whose is this number already?". Read once, 500 phones a call, when the CSV has
 * phones; it holds a number, an id and the owners' ids per phone (about 100 bytes each), never the
 * users. The import keeps it current with the phones it creates and attaches.
 */
export class PhoneBook {
  private constructor(private readonly entries: Map<string, Entry>) {}

  static async load(client: DuoClient): Promise<PhoneBook> {
    const entries = new Map<string, Entry>();
    for await (const phone of listPhones(client)) {
      const key = phoneKey({ number: phone.number, extension: phone.extension ?? '' });
      const owners = (phone.users ?? []).map((u) => u.user_id);
      // Duo can hold two phone objects with one number: whoever holds either holds the number.
      const known = entries.get(key);
      if (known === undefined) entries.set(key, { phoneId: phone.phone_id, owners });
      else for (const owner of owners) if (!known.owners.includes(owner)) known.owners.push(owner);
    }
    return new PhoneBook(entries);
  }

  /**
   * Settles the phone creates an earlier run announced without an answer. It only creates a number
   * the tenant lacked, so a phone of that number found now is the one it created: journaled as the
   * import's, for rollback to delete.
   */
  async settle(session: RunSession): Promise<void> {
    for (const key of session.history.uncertainPhoneKeys()) {
      const entry = this.entries.get(key);
      if (entry === undefined) session.history.settledAbsent('phone', key);
      else {
        const [number, extension = ''] = key.split('x');
        await session.claimPhone({ number: number!, extension }, entry.phoneId);
      }
    }
  }

  /** The Duo users holding this number (by phoneKey). */
  readonly owners = (key: string): readonly string[] => this.entries.get(key)?.owners ?? [];

  get(phone: PhoneNumber): Entry | undefined {
    return this.entries.get(phoneKey(phone));
  }

  created(phone: PhoneNumber, phoneId: string): void {
    this.entries.set(phoneKey(phone), { phoneId, owners: [] });
  }

  attached(phone: PhoneNumber, userId: string): void {
    const entry = this.entries.get(phoneKey(phone));
    if (entry && !entry.owners.includes(userId)) entry.owners.push(userId);
  }
}
