import { DuoOutcomeUnknownError, DuoRequestError, RemoteError } from '../../errors.js';
import type { Intent, Journal, JournalRecord } from '../journal/journal.js';

export type WriteOutcome<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'refused'; readonly error: DuoRequestError }
  | { readonly status: 'unknown'; readonly error: DuoOutcomeUnknownError };

/** What a write's outcome record keeps of Duo's answer. */
export type OutcomeDetail = Omit<Extract<JournalRecord, { t: 'outcome' }>, 't' | 'id' | 'status'>;

/**
 * The one way duo-bridge writes to Duo: the intent is journaled (and on disk) before the call, and
 * the outcome after it, as ok, refused (certainly not applied) or unknown (maybe applied: only
 * reading Duo settles it). Every writer goes through here, so a crash at any point leaves a journal
 * that says exactly what may have happened.
 *
 * @param detail what to keep of Duo's answer (e.g. the user_ids a create returned).
 */
export async function guardedWrite<T>(
  journal: Journal,
  intent: Intent,
  call: () => Promise<T>,
  detail: (value: T) => OutcomeDetail = () => ({}),
): Promise<WriteOutcome<T>> {
  const id = journal.newId();
  await journal.append({ t: 'intent', id, ...journal.sendWindow(), ...intent });
  let value: T;
  try {
    value = await call();
  } catch (error) {
    if (error instanceof DuoRequestError) {
      await journal.append({ t: 'outcome', id, status: 'refused', at: journal.now(), error: error.message });
      return { status: 'refused', error };
    }
    if (error instanceof DuoOutcomeUnknownError) {
      await journal.append({ t: 'outcome', id, status: 'unknown', at: journal.now(), error: error.message });
      return { status: 'unknown', error };
    }
    // Unreachable, credentials refused, 429s past the back-off: the request was not applied.
    if (error instanceof RemoteError) await journal.append({ t: 'outcome', id, status: 'refused', at: journal.now(), error: error.message });
    throw error;
  }
  await journal.append({ t: 'outcome', id, status: 'ok', at: journal.now(), ...detail(value) });
  return { status: 'ok', value };
}
