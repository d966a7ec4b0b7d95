import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { actionKey, readSavedPlan, restrictToSaved, sealPlan, type SealedPlan } from '../../../src/duo/sync/saved-plan.js';
import type { SyncAction, SyncPlan } from '../../../src/duo/sync/sync-plan.js';
import type { ManagedUser } from '../../../src/duo/sync/sync-state.js';
import { tmpFiles } from '../../helpers/tmp-files.js';
import { adUser, DAY, duoUser, guid, HOST, leave, managed, NOW, range, world, type World } from '../../helpers/sync-world.js';

const kinds = (actions: readonly SyncAction[]) => actions.map((a) => `${a.kind} ${a.username}`).sort();
const users = (w: World) => w.state.users as Record<string, ManagedUser>;

/** A day's changes: an update, a rename, a membership added, a leaver disabled, a joiner created. */
const day = (w: World) => {
  w.ad.set(guid(2), adUser(2, { realname: 'New Name' }));
  w.ad.set(guid(3), adUser(3, { username: 'u3-renamed' }));
  w.ad.set(guid(4), adUser(4, { groups: ['VPN'] }));
  w.ad.set(guid(99), adUser(99));
  leave(w, 5);
};

function savedFile(content: string | Buffer): string {
  const dir = tmpFiles({ 'plan.json': content });
  return join(dir, 'plan.json');
}

describe('sealPlan: a digest of everything the plan decides', () => {
  it('is a sha256 that any change to the plan changes, and that key order does not', () => {
    const plan = world(60, day);
    const sealed = sealPlan(plan);
    expect(sealed.digest).toMatch(/^[0-9a-f]{64}$/);
    const reordered = Object.fromEntries(Object.entries(plan).reverse()) as unknown as SyncPlan;
    expect(sealPlan(reordered).digest).toBe(sealed.digest);
    expect(sealPlan(sealed).digest).toBe(sealed.digest);
    for (const edit of [
      { ...plan, plan_id: 'ffffffffffff' }, { ...plan, host: 'api-other.duosecurity.com' }, { ...plan, state_sha256: 'f'.repeat(64) },
      { ...plan, actions: plan.actions.slice(1) }, { ...plan, held: [...plan.held, plan.actions[0]!] }, { ...plan, basis: { ...plan.basis, x: 'y' } },
      { ...plan, hold_reasons: ['x'] }, { ...plan, source_trusted: !plan.source_trusted },
    ]) {
      expect(sealPlan(edit).digest).not.toBe(sealed.digest);
    }
  });
});

describe('readSavedPlan: the file --plan names', () => {
  it('reads a plan as sealPlan wrote it, a BOM before it too', async () => {
    const sealed = sealPlan(world(60, day));
    expect(await readSavedPlan(savedFile(JSON.stringify(sealed, null, 1)), HOST)).toEqual(sealed);
    expect(await readSavedPlan(savedFile(`\uFEFF${JSON.stringify(sealed)}`), HOST)).toEqual(sealed);
  });

  it('a named pipe, a directory, a device or no file: a usage error (exit 2), never a hang', async () => {
    const dir = tmpFiles({});
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    mkdirSync(join(dir, 'folder'));
    await expect(readSavedPlan(join(dir, 'pipe'), HOST)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/--plan .*pipe: is a named pipe/) });
    await expect(readSavedPlan(join(dir, 'folder'), HOST)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/is a directory/) });
    await expect(readSavedPlan('/dev/zero', HOST)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/is a device/) });
    await expect(readSavedPlan(join(dir, 'none.json'), HOST)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/no such file/) });
  });

  it('an edited plan is refused (BAD_PLAN, exit 2) as edited since it was saved: held disables moved into actions, a trash added', async () => {
    const held = sealPlan(world(60, (w) => leave(w, ...range(1, 12))));
    expect(held.held).toHaveLength(12);
    const released = { ...held, actions: [...held.actions, ...held.held], held: [] };
    await expect(readSavedPlan(savedFile(JSON.stringify(released)), HOST)).rejects.toMatchObject({
      exitCode: 2, code: 'BAD_PLAN', message: expect.stringMatching(/the plan was edited since it was saved/),
    });
    const trash = { kind: 'trash', guid: guid(40), username: 'u40', user_id: 'DU40', reason: 'made up' };
    await expect(readSavedPlan(savedFile(JSON.stringify({ ...held, actions: [...held.actions, trash] })), HOST)).rejects.toMatchObject({ code: 'BAD_PLAN', exitCode: 2 });
  });

  it('a plan without a digest is refused: it was not written by sync --out', async () => {
    const { digest: _d, ...bare } = sealPlan(world(60, day));
    await expect(readSavedPlan(savedFile(JSON.stringify(bare)), HOST)).rejects.toMatchObject({ code: 'BAD_PLAN', exitCode: 2, message: expect.stringMatching(/no digest/) });
  });

  it('a plan of another Duo host is refused', async () => {
    const sealed = sealPlan(world(60, day));
    await expect(readSavedPlan(savedFile(JSON.stringify(sealed)), 'api-other.duosecurity.com')).rejects.toMatchObject({
      code: 'BAD_PLAN', exitCode: 2, message: expect.stringMatching(/was made for Duo host api-test\.duosecurity\.com, not api-other\.duosecurity\.com/),
    });
  });

  const plan = world(60, day);
  const create = plan.actions.find((a) => a.kind === 'create')!;
  const rename = plan.actions.find((a) => a.kind === 'rename')!;
  const { names: _n, ...createWithoutNames } = create as Extract<SyncAction, { kind: 'create' }>;
  const { to: _t, ...renameWithoutTo } = rename as Extract<SyncAction, { kind: 'rename' }>;
  const shapes: [string, object][] = [
    ['a null action', { actions: [null] }],
    ['basis null', { basis: null }],
    ['a create without names', { actions: [createWithoutNames] }],
    ['a rename without to', { actions: [renameWithoutTo] }],
    ['an action of a kind that does not exist', { actions: [{ kind: 'delete', guid: guid(1), username: 'u1', user_id: 'DU1' }] }],
    ['a disable without its user_id', { actions: [{ kind: 'disable', guid: guid(1), username: 'u1', user_id: null, reason: 'x' }] }],
    ['an update of a field Duo has not', { actions: [{ kind: 'update', guid: guid(1), username: 'u1', user_id: 'DU1', before: {}, after: { is_admin: 'yes' } }] }],
    ['a held action that is not an object', { held: ['disable everyone'] }],
    ['made_at not a time', { made_at: 'today' }],
    ['a field a plan does not have', { approve_everything: true }],
    ['nested deeper than any stack', { basis: 'DEEP' }],
  ];
  it.each(shapes)('%s: not a sync plan (BAD_PLAN, exit 2), even when the digest was made to match', async (_name, change) => {
    // Sealed after the change: the schema, not the digest, is what refuses it.
    const text = JSON.stringify(sealPlan({ ...plan, ...change } as SyncPlan)).replace('"DEEP"', '['.repeat(200_000) + ']'.repeat(200_000));
    await expect(readSavedPlan(savedFile(text), HOST)).rejects.toMatchObject({ code: 'BAD_PLAN', exitCode: 2, message: expect.stringMatching(/not a sync plan/) });
  });
});

describe('restrictToSaved: a fresh plan restricted to what the admin reviewed', () => {
  it('applies the fresh plan\'s actions the saved plan names, and nothing it does not', () => {
    const saved = sealPlan(world(60, day));
    const fresh = world(60, (w) => {
      day(w);
      // Since the review: another joiner and another change; not reviewed, so not applied now.
      w.ad.set(guid(98), adUser(98));
      w.ad.set(guid(6), adUser(6, { email: 'new6@corp.example' }));
    });
    const applied = restrictToSaved(saved, fresh);
    expect(kinds(applied.actions)).toEqual(kinds(saved.actions));
    expect(applied.actions.every((a) => fresh.actions.includes(a))).toBe(true);
    expect(applied.plan_id).toBe(fresh.plan_id);
    expect(applied.basis).toBe(fresh.basis);
  });

  it('a saved plan whose held disables were moved into its actions (and resealed) releases nothing: STALE_PLAN, a safeguard holds them', () => {
    const heldPlan = world(60, (w) => leave(w, ...range(1, 12)));
    const forged = sealPlan({ ...heldPlan, actions: [...heldPlan.actions, ...heldPlan.held], held: [] });
    const fresh = world(60, (w) => leave(w, ...range(1, 12)));
    expect(fresh.held).toHaveLength(12);
    expect(() => restrictToSaved(forged, fresh)).toThrow(expect.objectContaining({
      code: 'STALE_PLAN', exitCode: 1, message: expect.stringMatching(/a safeguard holds 12 actions now \(disable u1, disable u2, .*… and 2 more\); nothing was changed/),
    }));
  });

  it('a trash added for a user the fresh plan does not send to the Trash: STALE_PLAN naming the user, nothing applied', () => {
    const plan = world(60, day);
    const forged = sealPlan({ ...plan, actions: [...plan.actions, { kind: 'trash', guid: guid(40), username: 'u40', user_id: 'DU40', reason: 'gone' }] });
    expect(() => restrictToSaved(forged, world(60, day))).toThrow(expect.objectContaining({
      code: 'STALE_PLAN', exitCode: 1, message: expect.stringMatching(/AD or Duo changed since it was made for 1 actions \(trash u40\)/),
    }));
  });

  it('holds stay held: a plan saved with held actions applies the rest, and the fresh plan still holds them', () => {
    const saved = sealPlan(world(60, (w) => {
      day(w);
      leave(w, ...range(10, 21));
    }));
    expect(saved.held.length).toBeGreaterThan(10);
    const fresh = world(60, (w) => {
      day(w);
      leave(w, ...range(10, 21));
    });
    const applied = restrictToSaved(saved, fresh);
    expect(applied.held).toBe(fresh.held);
    expect(applied.actions.some((a) => a.kind === 'disable')).toBe(false);
    expect(kinds(applied.actions)).toEqual(kinds(saved.actions));
  });

  it('an action AD or Duo made moot or different since: STALE_PLAN naming the users', () => {
    const saved = sealPlan(world(60, day));
    // The leaver came back, and the rename now goes to another name.
    const fresh = world(60, (w) => {
      day(w);
      w.ad.set(guid(5), adUser(5));
      w.ad.set(guid(3), adUser(3, { username: 'u3-other' }));
    });
    expect(() => restrictToSaved(saved, fresh)).toThrow(expect.objectContaining({
      code: 'STALE_PLAN', message: expect.stringMatching(/AD or Duo changed since it was made for 2 actions \((rename u3, disable u5|disable u5, rename u3)\)/),
    }));
  });

  it('a leaver\'s trash reviewed yesterday is still the same action today (its reason says one more day)', () => {
    const leaver = (days: number) => (w: World) => {
      leave(w, 2);
      w.duo.set('DU2', duoUser(2, { status: 'disabled' }));
      users(w)[guid(2)] = managed(2, { missing_since: new Date(NOW.getTime() - days * DAY).toISOString(), disabled_by_sync: NOW.toISOString() });
    };
    const saved = sealPlan(world(60, leaver(31)));
    const fresh = world(60, leaver(32));
    expect(kinds(saved.actions)).toEqual(['trash u2']);
    expect(restrictToSaved(saved, fresh).actions).toEqual(fresh.actions);
  });

  it('an action whose user changed in AD or Duo since the review is stale, even when it would still be proposed', () => {
    const saved = sealPlan(world(60, (w) => w.ad.set(guid(2), adUser(2, { realname: 'New Name' }))));
    const meanwhile = world(60, (w) => {
      w.ad.set(guid(2), adUser(2, { realname: 'New Name' }));
      w.duo.set('DU2', duoUser(2, { realname: 'Edited In Duo' }));
    });
    expect(() => restrictToSaved(saved, meanwhile)).toThrow(expect.objectContaining({ code: 'STALE_PLAN' }));
    const otherValue = world(60, (w) => w.ad.set(guid(2), adUser(2, { realname: 'Newer Name' })));
    expect(() => restrictToSaved(saved, otherValue)).toThrow(expect.objectContaining({ code: 'STALE_PLAN' }));
  });

  it('a plan of another host is refused', () => {
    const saved = { ...sealPlan(world(5, day)), host: 'api-other.duosecurity.com' } as SealedPlan;
    expect(() => restrictToSaved(saved, world(5, day))).toThrow(expect.objectContaining({ code: 'BAD_PLAN', exitCode: 2 }));
  });
});

describe('actionKey: what makes two actions the same', () => {
  const base = { guid: guid(1), username: 'u1', user_id: 'DU1' };
  it('kind, guid and user_id; a membership\'s group by name key; a rename\'s and an update\'s targets; never a reason', () => {
    expect(actionKey({ ...base, kind: 'disable', reason: 'a', status: 'active' })).toBe(actionKey({ ...base, kind: 'disable', reason: 'b', status: 'active' }));
    expect(actionKey({ ...base, kind: 'disable', reason: 'a', status: 'active' })).not.toBe(actionKey({ ...base, kind: 'trash', reason: 'a' }));
    expect(actionKey({ ...base, kind: 'disable', reason: 'a', status: 'active' })).not.toBe(actionKey({ ...base, user_id: 'DU2', kind: 'disable', reason: 'a', status: 'active' }));
    expect(actionKey({ ...base, kind: 'add_membership', group: 'VPN' })).toBe(actionKey({ ...base, kind: 'add_membership', group: 'vpn' }));
    expect(actionKey({ ...base, kind: 'add_membership', group: 'VPN' })).not.toBe(actionKey({ ...base, kind: 'add_membership', group: 'Staff' }));
    const to = { username: 'new', aliases: { alias1: 'a' } };
    expect(actionKey({ ...base, kind: 'rename', from: { username: 'u1', aliases: {} }, to })).toBe(actionKey({ ...base, kind: 'rename', from: { username: 'x', aliases: {} }, to }));
    expect(actionKey({ ...base, kind: 'rename', from: { username: 'u1', aliases: {} }, to })).not.toBe(actionKey({ ...base, kind: 'rename', from: { username: 'u1', aliases: {} }, to: { ...to, username: 'other' } }));
    expect(actionKey({ ...base, kind: 'update', before: { email: 'a' }, after: { email: 'b', realname: 'R' } })).toBe(actionKey({ ...base, kind: 'update', before: {}, after: { realname: 'R', email: 'b' } }));
    expect(actionKey({ ...base, kind: 'update', before: {}, after: { email: 'b' } })).not.toBe(actionKey({ ...base, kind: 'update', before: {}, after: { email: 'c' } }));
  });
});
