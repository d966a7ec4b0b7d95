import { nameKey } from '../../names.js';
import { phoneKey } from '../../phone.js';
import type { Intent, JournalRecord } from '../journal/journal.js';

/**
 * What earlier runs of an import did to groups and phones, rebuilt from its journal: the groups and
 * phones it created (rollback deletes only those phones), the creates whose answer was lost (settled
 * by reading Duo), and the enrollment emails and activation texts already sent, which are never sent
 * twice: an unanswered one counts as sent.
 */
export class AttachState {
  readonly groupsCreated = new Map<string, string>();
  readonly phonesCreated = new Map<string, string>();
  readonly uncertainGroups = new Set<string>();
  readonly uncertainPhones = new Set<string>();
  readonly enrolled = new Set<string>();
  readonly activated = new Set<string>();
  private readonly intents = new Map<number, Intent>();

  readonly replay = (record: JournalRecord): void => {
    if (record.t === 'intent') {
      const { t: _t, id, ...intent } = record;
      this.intents.set(id, intent as Intent);
      this.announced(intent as Intent);
    } else if (record.t === 'outcome') {
      const intent = this.intents.get(record.id);
      this.intents.delete(record.id);
      if (intent !== undefined) this.settled(intent, record.status, record);
    } else if (record.t === 'claim_group') {
      this.groupCreated(record.name, record.group_id);
    } else if (record.t === 'claim_phone') {
      this.phoneCreated({ number: record.number, extension: record.extension }, record.phone_id);
    }
  };

  /** A create is uncertain from its announcement until Duo's answer settles it: a kill may come in between. */
  announced(intent: Intent): void {
    if (intent.op === 'group_create') this.uncertainGroups.add(nameKey(intent.name));
    if (intent.op === 'phone_create') this.uncertainPhones.add(phoneKey(intent));
    if (intent.op === 'enroll') this.enrolled.add(nameKey(intent.username));
    if (intent.op === 'sms_activation') this.activated.add(intent.phone_id);
  }

  settled(intent: Intent, status: 'ok' | 'refused' | 'unknown', detail: { group_id?: string; phone_id?: string } = {}): void {
    if (intent.op === 'group_create') {
      if (status === 'ok' && detail.group_id) this.groupCreated(intent.name, detail.group_id);
      if (status === 'refused') this.uncertainGroups.delete(nameKey(intent.name));
    } else if (intent.op === 'phone_create') {
      if (status === 'ok' && detail.phone_id) this.phoneCreated(intent, detail.phone_id);
      if (status === 'refused') this.uncertainPhones.delete(phoneKey(intent));
    } else if (status === 'refused' && intent.op === 'enroll') {
      this.enrolled.delete(nameKey(intent.username));
    } else if (status === 'refused' && intent.op === 'sms_activation') {
      this.activated.delete(intent.phone_id);
    }
  }

  groupCreated(name: string, groupId: string): void {
    this.groupsCreated.set(nameKey(name), groupId);
    this.uncertainGroups.delete(nameKey(name));
  }

  phoneCreated(phone: { number: string; extension: string }, phoneId: string): void {
    this.phonesCreated.set(phoneKey(phone), phoneId);
    this.uncertainPhones.delete(phoneKey(phone));
  }
}
