import { afterEach, beforeEach } from '@jest/globals';
import { DuoClient } from '../../src/duo/api/client.js';
import { duoBaseUrl } from '../../src/duo/api/duo-host.js';
import { FakeDuo } from '../fake-duo/fake-duo.js';

/** duo-bridge's own client, unthrottled, for the Duo that DUO_HOST, DUO_IKEY and DUO_SKEY name. */
export function clientAt(env: Record<string, string>): DuoClient {
  return new DuoClient({ credentials: { baseUrl: duoBaseUrl(env.DUO_HOST!), ikey: env.DUO_IKEY!, skey: env.DUO_SKEY! }, ratePerMinute: 100_000, timeoutMs: 5000 });
}

/** The same for a fake Duo: for tests that pin down what the fake believes. */
export function clientFor(duo: FakeDuo): DuoClient {
  return clientAt(duo.env());
}

/** A fresh fake Duo and a client for it around each test of the calling file. */
export function fakeDuoPerTest(): { readonly duo: FakeDuo; readonly client: DuoClient } {
  const current = {} as { duo: FakeDuo; client: DuoClient };
  beforeEach(async () => {
    current.duo = await new FakeDuo().start();
    current.client = clientFor(current.duo);
  });
  afterEach(async () => {
    await current.duo.stop();
  });
  return current;
}
