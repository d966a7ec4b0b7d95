import { DuoClient } from '../../src/duo/api/client.js';
import { duoBaseUrl } from '../../src/duo/api/duo-host.js';
import type { FakeDuo } from '../fake-duo/fake-duo.js';

/** duo-bridge's own client, unthrottled, for the Duo that DUO_HOST, DUO_IKEY and DUO_SKEY name. */
export function clientAt(env: Record<string, string>): DuoClient {
  return new DuoClient({ credentials: { baseUrl: duoBaseUrl(env.DUO_HOST!), ikey: env.DUO_IKEY!, skey: env.DUO_SKEY! }, ratePerMinute: 100_000, timeoutMs: 5000 });
}

/** The same for a fake Duo: for tests that pin down what the fake believes. */
export function clientFor(duo: FakeDuo): DuoClient {
  return clientAt(duo.env());
}
