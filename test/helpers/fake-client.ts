import { DuoClient } from '../../src/duo/api/client.js';
import { duoBaseUrl } from '../../src/duo/api/duo-host.js';
import type { FakeDuo } from '../fake-duo/fake-duo.js';

/** duo-bridge's own client, unthrottled, talking to a fake Duo: for tests that pin down what the fake believes. */
export function clientFor(duo: FakeDuo): DuoClient {
  return new DuoClient({ credentials: { baseUrl: duoBaseUrl(duo.url), ikey: duo.ikey, skey: duo.skey }, ratePerMinute: 100_000, timeoutMs: 5000 });
}
