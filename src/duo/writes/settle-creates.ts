import { GroupDirectory } from './group-directory.js';
import { PhoneBook } from './phone-book.js';
import type { RunSession } from './run-session.js';

/**
 * Every create of the session's run whose answer was lost, settled by reading Duo and journaled in
 * the run's own journal (claims), so that a resume, a recovery and a rollback reach the same
 * verdict. Groups and phones are listed only when one of theirs is uncertain.
 */
export async function settleCreates(session: RunSession): Promise<void> {
  await session.settleUsers();
  if (session.history.uncertainGroupNames().length > 0) await (await GroupDirectory.load(session.client)).settle(session);
  if (session.history.uncertainPhoneKeys().length > 0) await (await PhoneBook.load(session.client)).settle(session);
}
