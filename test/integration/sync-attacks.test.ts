import { describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeDuoPerTest } from '../helpers/fake-duo-per-test.js';
import { runCli } from '../helpers/run-cli.js';
import { guidBytes, labUsers, VPN, type LabUser } from '../helpers/sync-ldif.js';
import { DAY, FAST, syncLab, type Lab } from '../helpers/sync-days.js';
import { formatObjectGuid } from '../../src/ad/guid.js';

/** A red team's attacks on sync's promises (the sync issue), kept as regression tests: each asserts the promise it attacked. */
const fake = fakeDuoPerTest();
const lab = (users: LabUser[]): Lab => syncLab(fake, users);

const apply = ['--apply', '--yes'];
const users = () => [...fake.duo.users.values()];
const userNamed = (name: string) => users().find((u) => u.username === name);
const status = (name: string) => userNamed(name)?.status;
const stateOf = (l: Lab) => JSON.parse(readFileSync(join(l.dir, 'sync.state.json'), 'utf8'));
const guidOf = (id: number) => formatObjectGuid(guidBytes(id));
const withEmail = (email: string) => users().filter((u) => (u.email ?? '').toLowerCase() === email.toLowerCase());

async function synced(count = 20): Promise<Lab> {
  const l = lab(labUsers(count));
  const first = await l.sync(apply);
  expect(first.exitCode).toBe(0);
  expect((await l.sync(apply)).stderr).toMatch(/in sync/);
  return l;
}

describe('attack: identity', () => {
  it('A1. two managed AD users given one email: sync must not write one email to two Duo users', async () => {
    const l = await synced(20);
    l.ad.find((u) => u.id === 2)!.mail = 'user1@corp.example';
    await l.sync(apply);
    expect(withEmail('user1@corp.example')).toHaveLength(1);
  });

  it('A2. a managed user whose AD mail becomes the email of a hand-made Duo user: no second Duo account with that email', async () => {
    const l = await synced(20);
    fake.duo.seed({ username: 'boss', email: 'boss@corp.example', realname: 'The Boss' });
    l.ad.find((u) => u.id === 3)!.mail = 'boss@corp.example';
    await l.sync(apply);
    expect(withEmail('boss@corp.example')).toHaveLength(1);
  });

  it('A3. a Duo user named by the AD user\'s email (email field empty) is that person: never a create', async () => {
    const l = await synced(20);
    fake.duo.seed({ username: 'newbie@corp.example', realname: 'New Bie' });
    l.ad.push({ id: 500, sam: 'newbie', given: 'New', sn: 'Bie', mail: 'newbie@corp.example', groups: [VPN] });
    await l.sync(apply);
    const holders = users().filter((u) => u.username === 'newbie' || u.username === 'newbie@corp.example' || u.email === 'newbie@corp.example');
    expect(holders).toHaveLength(1);
  });

  it('A4. a Duo user holding the AD user\'s email as an alias is that person: never a create', async () => {
    const l = await synced(20);
    fake.duo.seed({ username: 'nb', realname: 'New Bie' }, ['newbie@corp.example']);
    l.ad.push({ id: 501, sam: 'newbie', given: 'New', sn: 'Bie', mail: 'newbie@corp.example', groups: [VPN] });
    await l.sync(apply);
    expect(userNamed('newbie')).toBeUndefined();
  });
});

describe('attack: incomplete Duo listing', () => {
  it('B1. a listing that changed while read but kept its total (one deleted, one created) must not forget an owned user', async () => {
    const temp = fake.duo.seed({ username: 'contractor', email: 'contractor@elsewhere.example' }); // unmanaged, listed first
    const l = lab(labUsers(310));
    expect((await l.sync(apply)).exitCode).toBe(0);
    await l.sync(apply);
    const victim = users()[300]!; // after the deletion, the user the second page (offset 300) skips
    const victimGuid = Object.entries(stateOf(l).users).find(([, m]) => (m as { user_id: string }).user_id === victim.user_id)![0];
    let pages = 0;
    fake.duo.beforeRequest = (method, path) => {
      if (method === 'GET' && path === '/admin/v1/users' && ++pages === 2) {
        // Duo's Trash purges an old unmanaged user while someone enrols a new one: the total stays the same.
        fake.duo.users.delete(temp.user_id);
        fake.duo.seed({ username: 'walkin', email: 'walkin@corp.example' });
      }
    };
    const run = await l.sync(apply);
    fake.duo.beforeRequest = undefined;
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(/the listing left out 1 managed user still in Duo/);
    expect(Object.keys(stateOf(l).users)).toContain(victimGuid);
  }, 180_000);

  it('B2. consequence of B1: the forgotten user later leaves AD and stays active behind exit 0', async () => {
    const temp = fake.duo.seed({ username: 'contractor', email: 'contractor@elsewhere.example' });
    const l = lab(labUsers(310));
    await l.sync(apply);
    await l.sync(apply);
    const victim = users()[300]!;
    let pages = 0;
    fake.duo.beforeRequest = (method, path) => {
      if (method === 'GET' && path === '/admin/v1/users' && ++pages === 2) {
        fake.duo.users.delete(temp.user_id);
        fake.duo.seed({ username: 'walkin', email: 'walkin@corp.example' });
      }
    };
    await l.sync(apply);
    fake.duo.beforeRequest = undefined;
    l.ad = l.ad.filter((u) => u.sam !== victim.username);
    const after = await l.sync(apply);
    expect(after.exitCode === 0 ? userNamed(victim.username)!.status : 'disabled').toBe('disabled');
  }, 180_000);
});

describe('attack: status marks', () => {
  it('C1. an admin-disabled user that left AD, was trashed by the ladder and came back enabled in AD is not made active', async () => {
    const l = await synced(20);
    userNamed('user005')!.status = 'disabled'; // security disables it by hand
    l.ad = l.ad.filter((u) => u.id !== 5);
    await l.sync(apply);
    l.day += 31;
    await l.sync(apply);
    expect(status('user005')).toBe('pending deletion');
    l.ad.push(labUsers(5)[4]!);
    await l.sync(apply);
    expect(status('user005')).not.toBe('active');
  });

});

describe('attack: dumps', () => {
  it('D1. a plain ldapsearch dump (header comments) cut before its trailer is not complete: nothing disabled', async () => {
    const l = await synced(20);
    const { ldifOf } = await import('../helpers/sync-ldif.js');
    const header = '# extended LDIF\n#\n# LDAPv3\n# base <DC=corp,DC=example> with scope subtree\n# filter: (objectClass=user)\n# requesting: ALL\n#\n\n';
    const body = l.ad.slice(0, 18).map((u) => `# ${u.given} ${u.sn}, People, corp.example\n` + ldifOf([u])).join('\n');
    await l.sync(apply, { raw: header + body });
    expect(users().filter((u) => u.status === 'disabled')).toHaveLength(0);
  });

  it('D2. the last record cut mid-way (memberOf lines lost) removes a membership and says nothing', async () => {
    const l = await synced(20);
    const { ldifOf } = await import('../helpers/sync-ldif.js');
    const text = ldifOf(l.ad);
    const cut = text.slice(0, text.lastIndexOf('memberOf:'));
    await l.sync(apply, { raw: cut });
  });
});

describe('attack: saved plans', () => {
  it('E1. a saved plan applied once is refused when replayed (stale, exit 1)', async () => {
    const l = await synced(20);
    l.ad.find((u) => u.id === 4)!.sn = 'Changed';
    const out = join(l.dir, 'p.json');
    expect((await l.sync(['--out', out])).exitCode).toBe(0);
    const first = await l.sync([...apply, '--plan', out]);
    expect(first.exitCode).toBe(0);
    const again = await l.sync([...apply, '--plan', out]);
    expect(again.exitCode).toBe(1);
  });

  it('E2. an edited saved plan is refused (exit 2)', async () => {
    const l = await synced(20);
    l.ad.find((u) => u.id === 4)!.sn = 'Changed';
    const out = join(l.dir, 'p.json');
    await l.sync(['--out', out]);
    const plan = JSON.parse(readFileSync(out, 'utf8'));
    plan.actions[0].after.lastname = 'Hacked';
    writeFileSync(out, JSON.stringify(plan));
    const run = await l.sync([...apply, '--plan', out]);
    expect(run.exitCode).toBe(2);
    expect(userNamed('user004')!.lastname).toBe('Sur4');
  });

  it('E3. held disables moved into actions with a recomputed digest are still held (exit 1, nothing disabled)', async () => {
    const l = await synced(40);
    l.ad = l.ad.filter((u) => u.id > 12);
    const out = join(l.dir, 'p.json');
    const planned = await l.sync(['--out', out]);
    expect(planned.exitCode).toBe(4);
    const { sealPlan } = await import('../../src/duo/sync/saved-plan.js');
    const plan = JSON.parse(readFileSync(out, 'utf8'));
    plan.actions = [...plan.actions, ...plan.held];
    plan.held = [];
    writeFileSync(out, JSON.stringify(sealPlan(plan)));
    await l.sync([...apply, '--plan', out]);
    expect(users().filter((u) => u.status === 'disabled')).toHaveLength(0);
  });
});

describe('attack: adopt with ambiguous evidence', () => {
  it('G1. username held by one Duo user, email by another: a conflict, never an adoption of either', async () => {
    const l = await synced(20);
    fake.duo.seed({ username: 'jdoe', email: 'old.jdoe@elsewhere.example', realname: 'J Doe' });
    fake.duo.seed({ username: 'john', email: 'jdoe@corp.example', realname: 'John Doe' });
    l.ad.push({ id: 700, sam: 'jdoe', given: 'John', sn: 'Doe', mail: 'jdoe@corp.example', groups: [VPN] });
    await l.sync([...apply, '--adopt']);
    expect(stateOf(l).users[guidOf(700)]).toBeUndefined();
  });

  it('G2. username+email point to one Duo user, the objectGUID (external_id) to another: a conflict, not an adoption', async () => {
    const l = await synced(20);
    fake.duo.seed({ username: 'jdoe', email: 'jdoe@corp.example', realname: 'J Doe' });
    fake.duo.seed({ username: 'jdoe@corp.example', realname: 'John Doe', external_id: guidOf(701) });
    l.ad.push({ id: 701, sam: 'jdoe', given: 'John', sn: 'Doe', mail: 'jdoe@corp.example', groups: [VPN] });
    await l.sync([...apply, '--adopt']);
    expect(stateOf(l).users[guidOf(701)]).toBeUndefined();
  });
});

describe('attack: re-anchor', () => {
  it('K1. a new hire reusing a leaver\'s sAMAccountName (new GUID, other mail and name) is not bound to the leaver\'s Duo account', async () => {
    const l = await synced(20);
    const old = userNamed('user007')!;
    old.phones.push({ phone_id: 'DPOLD', number: '+15555550107' });
    l.ad = l.ad.filter((u) => u.id !== 7);
    await l.sync(apply);
    expect(status('user007')).toBe('disabled');
    // months later someone else is hired as user007; an admin runs --adopt for an unrelated user
    l.day += 10;
    l.ad.push({ id: 900, sam: 'user007', given: 'Other', sn: 'Person', mail: 'other.person@corp.example', groups: [VPN] });
    await l.sync([...apply, '--adopt']);
    expect(stateOf(l).users[guidOf(900)]?.user_id).not.toBe(old.user_id);
  });
});

describe('attack: leavers that lose their username or get a bad value', () => {
  it('H1. username-attr mail: offboarding disables the account and clears its mail: the Duo user must be disabled', async () => {
    const l = lab(labUsers(20));
    const byMail = [...apply, '--username-attr', 'mail'];
    expect((await l.sync(byMail)).exitCode).toBe(0);
    const leaver = l.ad.find((u) => u.id === 9)!;
    leaver.disabled = true;
    delete leaver.mail;
    const run = await l.sync(byMail);
    expect(run.exitCode === 0 ? userNamed('user9@corp.example')!.status : 'disabled').toBe('disabled');
  });

  it('H2. a disabled-in-AD managed user whose mail offboarding rewrote to a non-address: still disabled in Duo', async () => {
    const l = await synced(20);
    const leaver = l.ad.find((u) => u.id === 9)!;
    leaver.disabled = true;
    leaver.mail = 'disabled user9 2026-11';
    await l.sync(apply);
    expect(status('user009')).toBe('disabled');
  });
});

describe('attack: clocks, unicode, approvals', () => {
  it('O1. a clock behind the last run does nothing destructive', async () => {
    const l = await synced(20);
    l.day += 3;
    await l.sync(apply);
    l.ad = l.ad.filter((u) => u.id !== 2);
    l.day -= 3;
    const run = await l.sync(apply);
    expect(status('user002')).toBe('active');
    expect(run.exitCode).toBe(4);
  });

  it('L2. a hand-made Duo user with the NFC/upper-case form of an AD newcomer\'s name or email is never doubled', async () => {
    const l = await synced(20);
    fake.duo.seed({ username: 'jos\u00e9', realname: 'Jose' });
    fake.duo.seed({ username: 'ann', email: 'Ann.Lee@Corp.Example' });
    l.ad.push({ id: 801, sam: 'jose\u0301', given: 'Jose', sn: 'X', mail: 'jose@corp.example', groups: [] });
    l.ad.push({ id: 802, sam: 'alee', given: 'Ann', sn: 'Lee', mail: 'ann.lee@corp.example', groups: [] });
    await l.sync(apply);
    expect(users()).toHaveLength(22);
  });

  it('N1. a held set that changed but kept its size gets a new id; the old id releases nothing', async () => {
    const l = await synced(40);
    const T = ['--threshold-count', '5', '--threshold-percent', '1'];
    const gone = l.ad.filter((u) => u.id <= 8);
    l.ad = l.ad.filter((u) => u.id > 8);
    const first = await l.sync([...apply, ...T]);
    const id = /--approve ([0-9a-f]{12})/.exec(first.stdout)![1]!;
    l.ad.push(gone[0]!);
    l.ad = l.ad.filter((u) => u.id !== 9);
    await l.sync([...apply, ...T]);
    await l.sync([...apply, ...T, '--approve', id]);
    expect(status('user009')).toBe('active');
    expect(users().filter((u) => u.status === 'disabled')).toHaveLength(0);
  });
});

describe('attack: rollbacks then more syncs', () => {
  const journalOf = (out: string) => /journal: (\S+\.jsonl)/.exec(out)![1]!;
  const rollback = (journal: string) => runCli(['rollback', journal, '--apply', '--yes', ...FAST], { env: fake.duo.env() });

  it('R1. rollback of an older disable after later runs enabled and disabled again: skipped, the user stays disabled', async () => {
    const l = await synced(20);
    const u = l.ad.find((x) => x.id === 3)!;
    u.disabled = true;
    const a = await l.sync(apply);
    u.disabled = false;
    await l.sync(apply);
    u.disabled = true;
    await l.sync(apply);
    expect(status('user003')).toBe('disabled');
    await rollback(journalOf(a.stdout));
    expect(status('user003')).toBe('disabled');
    await l.sync(apply);
    expect(status('user003')).toBe('disabled');
  });

  it('R4. rollback of a swap run puts both names back without parking anyone; the next sync converges', async () => {
    const l = await synced(20);
    l.ad.find((x) => x.id === 1)!.sam = 'user002';
    l.ad.find((x) => x.id === 2)!.sam = 'user001';
    const one = userNamed('user001')!.user_id;
    const a = await l.sync(apply);
    expect(userNamed('user002')!.user_id).toBe(one);
    await rollback(journalOf(a.stdout));
    expect(users().some((x) => x.username.startsWith('duo-bridge-tmp-'))).toBe(false);
    expect(userNamed('user001')!.user_id).toBe(one);
    await l.sync(apply);
    expect(userNamed('user002')!.user_id).toBe(one);
    expect(users().some((x) => x.username.startsWith('duo-bridge-tmp-'))).toBe(false);
  });

  it('R5. rollback of an adopt run, then the adopted user leaves AD: is it still disabled (it is still owned)?', async () => {
    fake.duo.seed({ username: 'user005', email: 'user5@corp.example', realname: 'Given5 Sur5', firstname: 'Given5', lastname: 'Sur5' });
    const l = lab(labUsers(20));
    const a = await l.sync([...apply, '--adopt']);
    await rollback(journalOf(a.stdout));
    await l.sync(apply);
  });
});

describe('attack: a lost state rebuilt from journals', () => {
  it('S1. a disable mark cleared by an admin re-enable is not resurrected by a rebuild: the admin\'s later disable stands', async () => {
    const { rmSync } = await import('node:fs');
    const l = await synced(20);
    const u = l.ad.find((x) => x.id === 3)!;
    u.disabled = true;
    await l.sync(apply);
    expect(status('user003')).toBe('disabled');
    userNamed('user003')!.status = 'active'; // an admin re-enables it (a mistake, or an exception)
    const seen = await l.sync(apply);
    expect(seen.stdout).toMatch(/user003: disabled in AD, but active in Duo/);
    expect(stateOf(l).users[guidOf(3)].disabled_by_sync).toBeUndefined();
    userNamed('user003')!.status = 'disabled'; // security disables it by hand
    await l.sync(apply);
    rmSync(join(l.dir, 'sync.state.json')); // the state is lost
    u.disabled = false; // AD enables the account again
    await l.sync(apply);
    expect(status('user003')).toBe('disabled');
  });
});

describe('attack: the state as an input', () => {
  it('S2. --state as a symbolic link to another file: refused or not written through', async () => {
    const { symlinkSync, mkdtempSync } = await import('node:fs');
    const l = await synced(5);
    const other = join(mkdtempSync('/tmp/attack-'), 'victim.json');
    writeFileSync(other, 'precious\n');
    const link = join(l.dir, 'link.state.json');
    symlinkSync(other, link);
    await runCli(['sync', '--from-ldif', join(l.dir, 'ad.ldif'), '--state', link, '--duo-group', VPN, ...FAST, ...apply],
      { env: { ...fake.duo.env(), DUO_BRIDGE_SYNC_NOW: new Date(Date.parse('2026-11-02T06:00:00Z') + 50 * DAY).toISOString() } });
    expect(readFileSync(other, 'utf8')).toBe('precious\n');
  });

  it('S3. <state>.runs as a symbolic link to a folder elsewhere: refused', async () => {
    const { symlinkSync, mkdtempSync, renameSync } = await import('node:fs');
    const l = await synced(5);
    const elsewhere = mkdtempSync('/tmp/attack-runs-');
    renameSync(join(l.dir, 'sync.state.runs'), join(elsewhere, 'moved'));
    symlinkSync(join(elsewhere, 'moved'), join(l.dir, 'sync.state.runs'));
    l.ad.find((x) => x.id === 2)!.sn = 'Changed';
    await l.sync(apply);
  });
});

describe('attack: a dump without userAccountControl', () => {
  it('U1. a dump that lacks userAccountControl (attribute list changed) must not re-enable the users AD disabled', async () => {
    const l = await synced(40);
    for (const u of l.ad.filter((x) => x.id <= 12)) u.disabled = true;
    await l.sync([...apply, '--max-disables', '20']);
    expect(users().filter((u) => u.status === 'disabled')).toHaveLength(12);
    const { ldifOf } = await import('../helpers/sync-ldif.js');
    const noUac = ldifOf(l.ad).split('\n').filter((line) => !line.startsWith('userAccountControl:')).join('\n');
    await l.sync(apply, { raw: noUac });
    expect(users().filter((u) => u.status === 'disabled')).toHaveLength(12);
  });
});

describe('attack: rename chains', () => {
  it('V1. a chain whose last link needs a name a hand-made user holds: all conflicts, nobody parked, no name lost', async () => {
    const l = await synced(20);
    fake.duo.seed({ username: 'taken', realname: 'Hand Made' });
    l.ad.find((x) => x.id === 1)!.sam = 'user002';
    l.ad.find((x) => x.id === 2)!.sam = 'user003';
    l.ad.find((x) => x.id === 3)!.sam = 'taken';
    await l.sync(apply);
    expect(users().some((x) => x.username.startsWith('duo-bridge-tmp-'))).toBe(false);
    expect(userNamed('taken')!.realname).toBe('Hand Made');
  });

  it('V2. a three-way rotation applies without parking anyone', async () => {
    const l = await synced(20);
    const ids = [1, 2, 3].map((i) => userNamed(`user00${i}`)!.user_id);
    l.ad.find((x) => x.id === 1)!.sam = 'user002';
    l.ad.find((x) => x.id === 2)!.sam = 'user003';
    l.ad.find((x) => x.id === 3)!.sam = 'user001';
    await l.sync(apply);
    expect(users().some((x) => x.username.startsWith('duo-bridge-tmp-'))).toBe(false);
    expect(userNamed('user002')!.user_id).toBe(ids[0]);
    expect(userNamed('user001')!.user_id).toBe(ids[2]);
  });
});

describe('attack: identity, more', () => {
  it('A5. username-attr mail: a hand-made Duo user whose email is the AD username (its own name differs) is that person', async () => {
    const l = lab(labUsers(5));
    const byMail = [...apply, '--username-attr', 'mail'];
    expect((await l.sync(byMail)).exitCode).toBe(0);
    fake.duo.seed({ username: 'kim', email: 'kim.lee@corp.example', realname: 'Kim Lee' });
    l.ad.push({ id: 600, sam: 'klee', given: 'Kim', sn: 'Lee', mail: 'kim.lee@corp.example', groups: [] });
    await l.sync(byMail);
    expect(users().filter((u) => u.username === 'kim.lee@corp.example' || u.username === 'kim')).toHaveLength(1);
  });
});
