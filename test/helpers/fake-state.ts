import type { EngineState } from '../../src/simulator/engine-state.js';
import type { FakeDuo } from '../fake-duo/fake-duo.js';

/** The tenant's maps and indexes a test that forks a tenant needs, and the id counter. */
export interface FakeState {
  users: EngineState['users'];
  groups: EngineState['groups'];
  phones: EngineState['phones'];
  names: EngineState['names'];
  phoneIndex: EngineState['phoneIndex'];
  nextId: number;
}

/** A deep copy of everything the fake holds: two branches of a test can start from one moment. */
export function saveState(duo: FakeDuo): FakeState {
  const { users, groups, phones, names, phoneIndex, nextId } = duo.engine.state;
  return structuredClone({ users, groups, phones, names, phoneIndex, nextId });
}

export function restoreState(duo: FakeDuo, state: FakeState): void {
  const inner = duo.engine.state;
  const copy = structuredClone(state);
  for (const key of ['users', 'groups', 'phones', 'names', 'phoneIndex'] as const) {
    const map = inner[key] as Map<string, unknown>;
    map.clear();
    for (const [k, v] of copy[key] as Map<string, unknown>) map.set(k, v);
  }
  inner.nextId = copy.nextId;
}
