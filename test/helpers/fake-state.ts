import type { FakeDuo } from '../fake-duo/fake-duo.js';

/** The simulator's private indexes, reached only here: a test that forks a tenant needs them all. */
interface Internals {
  users: FakeDuo['users'];
  groups: FakeDuo['groups'];
  phones: FakeDuo['phones'];
  names: Map<string, string>;
  phoneIndex: Map<string, string>;
  nextId: number;
}

export type FakeState = Omit<Internals, never>;

/** A deep copy of everything the fake holds: two branches of a test can start from one moment. */
export function saveState(duo: FakeDuo): FakeState {
  const inner = duo.engine as unknown as Internals;
  return structuredClone({ users: inner.users, groups: inner.groups, phones: inner.phones, names: inner.names, phoneIndex: inner.phoneIndex, nextId: inner.nextId });
}

export function restoreState(duo: FakeDuo, state: FakeState): void {
  const inner = duo.engine as unknown as Internals;
  const copy = structuredClone(state);
  for (const key of ['users', 'groups', 'phones', 'names', 'phoneIndex'] as const) {
    const map = inner[key] as Map<string, unknown>;
    map.clear();
    for (const [k, v] of copy[key] as Map<string, unknown>) map.set(k, v);
  }
  inner.nextId = copy.nextId;
}
