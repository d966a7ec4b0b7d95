import fc from 'fast-check';
import type { DumpKind, Place } from './churn-ad.js';
import type { KillAt } from './churn-duo.js';

/*
 * A generated history: a setup, then days. Every event names its target by a number that is
 * taken modulo the current population, so a history stays meaningful when shrinking removes
 * days or events before it.
 */

export type AdEvent =
  | { readonly k: 'join'; readonly n: number }
  | { readonly k: 'leave' | 'ad-disable' | 'ad-enable' | 'rename' | 'mail' | 'recreate' | 'return'; readonly who: number }
  | { readonly k: 'group'; readonly who: number; readonly group: 'vpn' | 'staff' }
  | { readonly k: 'swap'; readonly who: number; readonly other: number };

export type DuoEvent =
  | { readonly k: 'duo-disable' | 'duo-enable'; readonly who: number }
  | { readonly k: 'duo-edit'; readonly who: number; readonly field: 'realname' | 'email' }
  /** A user made in Duo with the name (or the email, or as a directory sync leaves it: named by email, external_id set) of the next joiner. */
  | { readonly k: 'duo-precreate'; readonly how: 'name' | 'email' | 'directory-sync' };

export interface RunSpec {
  readonly adopt: boolean;
  readonly dump: DumpKind;
  readonly vanished: Place;
  /** Users (by position) the Duo listing leaves out: an incomplete listing. */
  readonly hide: readonly number[];
  readonly kill: KillAt | null;
  /** Approve a held plan printed earlier: 0 the latest, 1 the one before… */
  readonly approve: number | null;
  /** Roll back an earlier run's journal (by position) before the run. */
  readonly rollback: number | null;
  /** `--changes-only` (histories of the fast lane only). */
  readonly changesOnly?: boolean;
}

export interface Day {
  readonly ad: readonly AdEvent[];
  readonly duo: readonly DuoEvent[];
  readonly run: RunSpec;
}

export interface Setup {
  readonly users: number;
  /** Of the first users, how many Duo already holds by name (an earlier import) and by email (a Duo directory sync). */
  readonly sameName: number;
  readonly byEmail: number;
  readonly adoptFirst: boolean;
  readonly trashAfterDays: number;
  readonly driftStatus: 'report' | 'ad-wins';
}

export interface History {
  readonly setup: Setup;
  readonly days: readonly Day[];
}

/** Event kinds a run can turn off (DUO_BRIDGE_CHURN_OFF=referral,short-listing,…) to look past a known failure. */
export const FEATURES = ['join', 'leave', 'ad-disable', 'ad-enable', 'rename', 'swap', 'mail', 'group', 'recreate', 'return',
  'duo-disable', 'duo-enable', 'duo-edit', 'duo-precreate', 'precreate-email', 'preexisting', 'adopt',
  'vanished-ou', 'empty', 'referral', 'short-listing', 'kill', 'approve', 'rollback', 'drift-ad-wins'] as const;
export type Feature = (typeof FEATURES)[number];

const who = fc.nat({ max: 9999 });

/**
 * `lane`: days run `sync --changes-only` or not (a full read at least every FULL_READ_EVERY_DAYS).
 * Without it no day draws that choice, so the histories (and found paths) of the plain runs stay as they were.
 */
export function historyArbitrary(maxDays: number, maxUsers: number, off: ReadonlySet<Feature>, lane = false): fc.Arbitrary<History> {
  const on = (f: Feature, weight: number): number => (off.has(f) ? 0 : weight);
  // With every kind of a group turned off the group is never drawn from (see anyAd, anyDuo): a placeholder stands in.
  const weighted = <T>(...entries: [number, fc.Arbitrary<T>][]): fc.Arbitrary<T> => {
    const kept = entries.filter(([w]) => w > 0).map(([weight, arbitrary]) => ({ weight, arbitrary }));
    return kept.length === 0 ? (fc.constant(null) as unknown as fc.Arbitrary<T>) : fc.oneof(...kept);
  };

  const adEvent: fc.Arbitrary<AdEvent> = weighted<AdEvent>(
    [on('join', 4), fc.record({ k: fc.constant('join' as const), n: fc.integer({ min: 1, max: 3 }) })],
    [on('leave', 3), fc.record({ k: fc.constant('leave' as const), who })],
    [on('ad-disable', 2), fc.record({ k: fc.constant('ad-disable' as const), who })],
    [on('ad-enable', 2), fc.record({ k: fc.constant('ad-enable' as const), who })],
    [on('rename', 2), fc.record({ k: fc.constant('rename' as const), who })],
    [on('swap', 1), fc.record({ k: fc.constant('swap' as const), who, other: who })],
    [on('mail', 2), fc.record({ k: fc.constant('mail' as const), who })],
    [on('group', 2), fc.record({ k: fc.constant('group' as const), who, group: fc.constantFrom('vpn' as const, 'staff' as const) })],
    [on('recreate', 1), fc.record({ k: fc.constant('recreate' as const), who })],
    [on('return', 2), fc.record({ k: fc.constant('return' as const), who })],
  );
  const precreateHows = (['name', 'email', 'directory-sync'] as const).filter((h) => h === 'name' || !off.has('precreate-email'));
  const duoEvent: fc.Arbitrary<DuoEvent> = weighted<DuoEvent>(
    [on('duo-disable', 2), fc.record({ k: fc.constant('duo-disable' as const), who })],
    [on('duo-enable', 2), fc.record({ k: fc.constant('duo-enable' as const), who })],
    [on('duo-edit', 2), fc.record({ k: fc.constant('duo-edit' as const), who, field: fc.constantFrom('realname' as const, 'email' as const) })],
    [on('duo-precreate', 1), fc.record({ k: fc.constant('duo-precreate' as const), how: fc.constantFrom(...precreateHows) })],
  );
  const plainRun = fc.record({
    adopt: off.has('adopt') ? fc.constant(false) : weighted([6, fc.constant(false)], [1, fc.constant(true)]),
    dump: weighted<DumpKind>([30, fc.constant('ok')], [on('vanished-ou', 1), fc.constant('vanished-ou')], [on('empty', 1), fc.constant('empty')], [on('referral', 1), fc.constant('referral')]),
    vanished: fc.constantFrom('Sales' as const, 'People' as const, 'Child' as const),
    hide: off.has('short-listing') ? fc.constant<readonly number[]>([]) : weighted<readonly number[]>([20, fc.constant([])], [1, fc.array(who, { minLength: 1, maxLength: 4 })]),
    kill: off.has('kill') ? fc.constant(null) : weighted<KillAt | null>([8, fc.constant(null)],
      [1, fc.record({ k: fc.integer({ min: 1, max: 12 }), point: fc.constantFrom('before' as const, 'after' as const) })]),
    approve: off.has('approve') ? fc.constant(null) : weighted<number | null>([6, fc.constant(null)], [1, fc.nat({ max: 2 })]),
    rollback: off.has('rollback') ? fc.constant(null) : weighted<number | null>([12, fc.constant(null)], [1, who]),
  });
  const run: fc.Arbitrary<RunSpec> = lane ? fc.tuple(plainRun, weighted([1, fc.constant(false)], [3, fc.constant(true)])).map(([r, changesOnly]) => ({ ...r, changesOnly })) : plainRun;
  const anyAd = FEATURES.slice(0, 10).some((f) => !off.has(f));
  const anyDuo = FEATURES.slice(10, 14).some((f) => !off.has(f));
  const day: fc.Arbitrary<Day> = fc.record({
    ad: anyAd ? fc.array(adEvent, { maxLength: 3 }) : fc.constant([]),
    duo: anyDuo ? weighted<readonly DuoEvent[]>([3, fc.constant([])], [1, fc.array(duoEvent, { minLength: 1, maxLength: 2 })]) : fc.constant([]),
    run,
  });
  const setup: fc.Arbitrary<Setup> = fc.record({
    users: fc.integer({ min: 20, max: Math.max(20, maxUsers) }),
    sameName: off.has('preexisting') ? fc.constant(0) : fc.nat({ max: 3 }),
    byEmail: off.has('preexisting') || off.has('precreate-email') ? fc.constant(0) : fc.nat({ max: 2 }),
    adoptFirst: off.has('adopt') ? fc.constant(false) : fc.boolean(),
    trashAfterDays: fc.constantFrom(3, 7, 30),
    driftStatus: off.has('drift-ad-wins') ? fc.constant('report' as const) : fc.constantFrom('report' as const, 'ad-wins' as const),
  });
  return fc.record({ setup, days: fc.array(day, { minLength: 1, maxLength: maxDays, size: 'max' }) });
}

/** One line per day, for a failure message: what happened in AD, in Duo, and how sync ran. */
export function describeHistory(history: History, upTo = history.days.length): string {
  const s = history.setup;
  const lines = [`setup: ${s.users} AD users; Duo holds ${s.sameName} of them by name, ${s.byEmail} by email (directory sync); ` +
    `day 0 ${s.adoptFirst ? 'with' : 'without'} --adopt; trash-after-days ${s.trashAfterDays}; drift-status ${s.driftStatus}`];
  history.days.slice(0, upTo).forEach((d, i) => {
    const r = d.run;
    const run = [
      r.rollback !== null ? `rollback journal #${r.rollback}` : '',
      `sync${r.changesOnly ? ' --changes-only' : ''}${r.adopt ? ' --adopt' : ''}${r.approve !== null ? ` --approve (of the printed plan -${r.approve}, if any)` : ''}`,
      r.dump !== 'ok' ? `dump ${r.dump}${r.dump === 'vanished-ou' ? ` (${r.vanished})` : ''}` : '',
      r.hide.length > 0 ? `Duo listing short (${r.hide.join(',')})` : '',
      r.kill ? `killed at write ${r.kill.k} (${r.kill.point}), resumed` : '',
    ].filter(Boolean).join(', ');
    lines.push(`day ${i + 1}: ${[...d.ad, ...d.duo].map((e) => JSON.stringify(e)).join(' ')}${d.ad.length + d.duo.length > 0 ? ' | ' : ''}${run}`);
  });
  return lines.join('\n');
}
