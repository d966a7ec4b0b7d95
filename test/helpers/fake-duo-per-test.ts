import { afterEach, beforeEach } from '@jest/globals';
import { FakeDuo } from '../fake-duo/fake-duo.js';

/** A fresh fake Duo for each test of the file, stopped after it: `fake.duo` is the current one. */
export function fakeDuoPerTest(): { readonly duo: FakeDuo } {
  const fake = {} as { duo: FakeDuo };
  beforeEach(async () => {
    fake.duo = await new FakeDuo().start();
  });
  afterEach(async () => {
    await fake.duo.stop();
  });
  return fake;
}
