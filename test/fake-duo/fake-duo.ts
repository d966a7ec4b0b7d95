import { createRequire } from 'node:module';
import { DuoSimulator, type SimulatorOptions } from '../../src/simulator/duo-simulator.js';

export type { BulkAnswer, Fault, FaultKind, LoggedRequest, SimulatedGroup as FakeGroup, SimulatedPhone as FakePhone, SimulatedUser as FakeUser } from '../../src/simulator/duo-simulator.js';

// Signatures are checked with Duo's official signer, not ours: a bug in ours cannot hide here.
const official = createRequire(import.meta.url)('@duosecurity/duo_api/lib/duo_sig.js') as {
  signV5(ikey: string, skey: string, method: string, host: string, path: string, params: Record<string, string>, date: string, body: string): string;
};

/**
 * The tests' Duo: the product's simulator (src/simulator/duo-simulator.ts) checking signatures with
 * Duo's official signer. Its beliefs about Duo, confirmed and assumed, with sources and confidence,
 * are listed in src/simulator/assumptions.ts.
 */
export class FakeDuo extends DuoSimulator {
  constructor(options: SimulatorOptions = {}) {
    super({ signer: official.signV5, ...options });
  }
}
