import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunHistory } from '../../../src/duo/journal/run-history.js';
import { Journal, type Intent, type JournalRecord } from '../../../src/duo/journal/journal.js';
import { guardedWrite } from '../../../src/duo/writes/guarded-write.js';
import { DuoApiError, DuoOutcomeUnknownError, DuoRequestError, UsageError } from '../../../src/errors.js';
import { tmpFiles } from '../../helpers/tmp-files.js';

const lines = (path: string): JournalRecord[] => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
const START = { t: 'start', kind: 'import', input: 'u.csv', sha256: 'ab', host: 'h', at: 'now' } as const;

describe('Journal', () => {
  it('appends records as JSON lines, the header before the first one only; reopening streams them back', async () => {
    const path = join(tmpFiles(), 'j.jsonl');
    const journal = await Journal.open(path);
    journal.setHeader({ ...START });
    await journal.append({ t: 'intent', id: journal.newId(), op: 'create', usernames: ['a'] });
    await journal.append({ t: 'outcome', id: 1, status: 'ok' });
    await journal.close();
    expect(lines(path).map((r) => r.t)).toEqual(['start', 'intent', 'outcome']);
    const seen: JournalRecord[] = [];
    const reopened = await Journal.open(path, { replay: (r) => seen.push(r) });
    expect(seen).toHaveLength(3);
    expect(reopened.startRecord).toMatchObject({ kind: 'import' });
    expect(reopened.newId()).toBe(2);
    await reopened.close();
  });

  it('creates no file until the first append: a run that writes nothing to Duo leaves no journal', async () => {
    const path = join(tmpFiles(), 'j.jsonl');
    const journal = await Journal.open(path);
    journal.setHeader({ ...START });
    await journal.close();
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('an existing journal is required where one is read (rollback): a typo is "no such file", exit 2', async () => {
    const path = join(tmpFiles(), 'typo.jsonl');
    await expect(Journal.open(path, { mustExist: true })).rejects.toMatchObject({ exitCode: 2, message: `journal ${path}: no such file` });
    expect(existsSync(path)).toBe(false);
  });

  it('drops a line torn by a crash, and appends after the last whole one', async () => {
    const path = join(tmpFiles(), 'j.jsonl');
    writeFileSync(path, '{"t":"intent","id":1,"op":"create","usernames":["a"]}\n{"t":"outcome","id":1,"status":"o');
    const seen: JournalRecord[] = [];
    const journal = await Journal.open(path, { replay: (r) => seen.push(r) });
    expect(seen).toHaveLength(1);
    await journal.append({ t: 'done', at: 'x' });
    await journal.close();
    expect(readFileSync(path, 'utf8')).toBe('{"t":"intent","id":1,"op":"create","usernames":["a"]}\n{"t":"done","at":"x"}\n');
  });

  it('streams a journal larger than one read chunk, lines split across chunks', async () => {
    const path = join(tmpFiles(), 'big.jsonl');
    const records = Array.from({ length: 20_000 }, (_, i) => JSON.stringify({ t: 'row', line: i + 2, username: `ü${i}`, result: 'created', user_id: `DU${i}`, error: null }));
    writeFileSync(path, records.join('\n') + '\n');
    let count = 0;
    let last = '';
    const journal = await Journal.open(path, { replay: (r) => { count++; last = (r as { username: string }).username; } });
    await journal.close();
    expect([count, last]).toEqual([20_000, 'ü19999']);
  });

  it('refuses a damaged journal, naming its line, and a second process on the same journal', async () => {
    const dir = tmpFiles({ 'bad.jsonl': '{"t":"done","at":"x"}\nnot json\n' });
    await expect(Journal.open(join(dir, 'bad.jsonl'))).rejects.toThrow(/bad\.jsonl:2 is not a journal record/);
    const path = join(dir, 'j.jsonl');
    const first = await Journal.open(path);
    await expect(Journal.open(path)).rejects.toThrow(new UsageError('JOURNAL_LOCKED', `journal ${path} is in use by another duo-bridge (pid ${process.pid})`));
    await first.close();
    await (await Journal.open(path)).close();
  });

  it('takes over the lock of a process that died', async () => {
    const path = join(tmpFiles(), 'j.jsonl');
    writeFileSync(`${path}.lock`, '999999999');
    await expect(Journal.open(path).then((j) => j.close())).resolves.toBeUndefined();
  });

  it('of two processes taking over one dead lock, exactly one wins', async () => {
    const { REPO } = await import('../../helpers/run-cli.js');
    for (let round = 0; round < 5; round++) {
      const path = join(tmpFiles(), 'j.jsonl');
      writeFileSync(`${path}.lock`, '999999999');
      // Each child opens the journal, holds it until told to go, and reports whether it got it.
      const script = `import('${REPO}dist/duo/journal/journal.js').then(async ({ Journal }) => {
        try { const j = await Journal.open(${JSON.stringify(path)}); process.stdout.write('locked\\n'); process.stdin.once('data', async () => { await j.close(); process.exit(0); }); }
        catch (e) { process.stdout.write('refused: ' + e.message + '\\n'); process.exit(0); } });`;
      const children = [0, 1].map(() => spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] }));
      // Listened for from the start: the refused child may be gone before its answer is read.
      const exits = children.map((child) => new Promise((resolve) => child.on('exit', resolve)));
      const answers = await Promise.all(children.map((child) => new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())))));
      for (const child of children) {
        // Telling an exited child to go fails with EPIPE: it has nothing left to do anyway.
        child.stdin.on('error', () => undefined);
        child.stdin.end('go');
      }
      await Promise.all(exits);
      expect(answers.filter((a) => a === 'locked')).toHaveLength(1);
      expect(answers.find((a) => a !== 'locked')).toMatch(/^refused: journal .* is in use by another duo-bridge \(pid \d+\)$/);
    }
  });
});

describe('guardedWrite', () => {
  const intent: Intent = { op: 'create', usernames: ['a'] };
  const outcomes = async (call: () => Promise<unknown>): Promise<[string, JournalRecord[]]> => {
    const path = join(tmpFiles(), 'j.jsonl');
    const journal = await Journal.open(path);
    let status: string;
    try {
      status = (await guardedWrite(journal, intent, call)).status;
    } catch (error) {
      status = `threw ${(error as Error).name}`;
    }
    await journal.close();
    return [status, lines(path)];
  };

  it('journals the intent before the call, and the outcome after it', async () => {
    const path = join(tmpFiles(), 'j.jsonl');
    const journal = await Journal.open(path);
    let onDiskDuringCall: JournalRecord[] = [];
    await guardedWrite(journal, intent, async () => { onDiskDuringCall = lines(path); return 1; }, () => ({ created: [{ username: 'a', user_id: 'DU1' }] }));
    await journal.close();
    // When it was sent, and the latest Duo can have applied it (the client's timeout later), on Duo's clock.
    expect(onDiskDuringCall).toEqual([{ t: 'intent', id: 1, at: expect.any(Number), deadline: expect.any(Number), ...intent }]);
    const [sent, answered] = lines(path) as unknown as [{ at: number; deadline: number }, { at: number }];
    expect(sent.deadline - sent.at).toBe(60_000);
    expect(answered).toEqual({ t: 'outcome', id: 1, status: 'ok', at: expect.any(Number), created: [{ username: 'a', user_id: 'DU1' }] });
    expect(answered.at).toBeGreaterThanOrEqual(sent.at);
  });

  it.each<[string, () => Error, string, string]>([
    ['a 4xx', () => new DuoRequestError(400, 40002, 'Invalid request parameters', 'username'), 'refused', 'refused'],
    ['a lost answer', () => new DuoOutcomeUnknownError('DUO_OUTCOME_UNKNOWN', 'timeout'), 'unknown', 'unknown'],
    ['Duo unreachable', () => new DuoApiError('DUO_UNREACHABLE', 'cannot reach'), 'threw DuoApiError', 'refused'],
  ])('%s → %s', async (_name, error, status, journaled) => {
    const [got, records] = await outcomes(async () => { throw error(); });
    expect(got).toBe(status);
    expect(records[1]).toMatchObject({ t: 'outcome', id: 1, status: journaled });
  });
});

describe('RunHistory', () => {
  const records: JournalRecord[] = [
    { t: 'intent', id: 1, op: 'bulk_create', usernames: ['A', 'b', 'c'] },
    { t: 'outcome', id: 1, status: 'ok', created: [{ username: 'a', user_id: 'DU1' }, { username: 'b', user_id: 'DU2' }] },
    { t: 'intent', id: 2, op: 'aliases', usernames: ['a'], user_id: 'DU1', aliases: 'alias1=x' },
    { t: 'outcome', id: 2, status: 'ok' },
    { t: 'intent', id: 3, op: 'aliases', usernames: ['b'], user_id: 'DU2', aliases: 'alias1=y' },
    { t: 'row', line: 2, username: 'A', result: 'created', user_id: 'DU1', error: null },
    { t: 'intent', id: 4, op: 'bulk_create', usernames: ['d'] },
    { t: 'intent', id: 5, op: 'create', usernames: ['e'] },
    { t: 'outcome', id: 5, status: 'refused', error: 'refused' },
    { t: 'intent', id: 6, op: 'create', usernames: ['f'] },
    { t: 'outcome', id: 6, status: 'unknown', error: 'timeout' },
    { t: 'claim', username: 'f', user_id: 'DU6' },
    { t: 'row', line: 7, username: 'f', result: 'failed', user_id: 'DU6', error: 'aliases refused' },
  ];

  it('knows what was created or claimed, what may have been, and what is final (a failed row is not)', () => {
    const history = new RunHistory();
    records.forEach(history.replay);
    expect([...history.finalRows.keys()]).toEqual(['a']);
    expect(history.createdUsernames()).toEqual(new Map([['DU1', 'a'], ['DU2', 'b'], ['DU6', 'f']]));
    expect([...history.aliasesDone]).toEqual(['a']);
    // Journals written before intents carried their times: an unanswered create may have made the user at any time.
    const ours = (username: string, user_id = 'DUX'): boolean => history.isOurs({ username, user_id });
    expect([ours('a', 'DU1'), ours('a', 'DU9'), ours('b', 'DU2'), ours('c'), ours('d'), ours('e'), ours('f', 'DU6'), ours('g')])
      .toEqual([true, false, true, true, true, false, true, false]);
    expect(history.needsClaim({ username: 'c', user_id: 'DU3' })).toBe(true);
    expect(history.needsClaim({ username: 'a', user_id: 'DU1' })).toBe(false);
  });

  it('claims a user for an unanswered create only if Duo created it inside that write\'s window', () => {
    const history = new RunHistory();
    const sent = Date.UTC(2026, 11, 1, 12, 0, 0);
    const seconds = (ms: number): number => Math.floor(ms / 1000);
    history.replay({ t: 'intent', id: 1, at: sent, deadline: sent + 60_000, op: 'bulk', operations: [{ method: 'POST', path: '/admin/v1/users', body: { username: 'spatel' } }] });
    expect(history.uncertainUserNames()).toEqual(['spatel']);
    expect(history.isOurs({ username: 'spatel', user_id: 'DU1', created: seconds(sent + 400) })).toBe(true);
    expect(history.isOurs({ username: 'spatel', user_id: 'DU1', created: seconds(sent + 59_000) })).toBe(true);
    // Another admin, an hour later (or a day before): not this run's.
    expect(history.isOurs({ username: 'spatel', user_id: 'DU1', created: seconds(sent + 3_600_000) })).toBe(false);
    expect(history.isOurs({ username: 'spatel', user_id: 'DU1', created: seconds(sent - 86_400_000) })).toBe(false);
    expect(history.isOurs({ username: 'spatel', user_id: 'DU1' })).toBe(false);
    // An answer that was lost at a known time closes the window there.
    history.replay({ t: 'outcome', id: 1, status: 'unknown', at: sent + 5_000 });
    expect(history.isOurs({ username: 'spatel', user_id: 'DU1', created: seconds(sent + 30_000) })).toBe(false);
    expect(history.isOurs({ username: 'spatel', user_id: 'DU1', created: seconds(sent + 4_000) })).toBe(true);
  });

  it('drops what Duo refused, and the operations its bulk answer lists as failed', () => {
    const history = new RunHistory();
    const op = (username: string) => ({ method: 'POST' as const, path: '/admin/v1/users', body: { username } });
    history.replay({ t: 'intent', id: 1, at: 1000, deadline: 2000, op: 'bulk', operations: [op('x'), op('y'), { method: 'POST', path: '/admin/v1/users/DU9/groups', body: { group_id: 'DG1' } }] });
    history.replay({ t: 'outcome', id: 1, status: 'ok', at: 1500, failed_operations: [1] });
    expect(history.uncertainUserNames()).toEqual(['x']);
    expect(history.addedMemberships()).toEqual([{ user_id: 'DU9', group_id: 'DG1' }]);
    history.replay({ t: 'intent', id: 2, at: 3000, deadline: 4000, op: 'create', usernames: ['z'] });
    history.replay({ t: 'outcome', id: 2, status: 'refused', at: 3100, error: 'no' });
    expect(history.uncertainUserNames()).toEqual(['x']);
  });

  it('counts an enrollment email as sent once announced, unless Duo refused it', () => {
    const history = new RunHistory();
    history.replay({ t: 'intent', id: 1, op: 'enroll', username: 'Ann', email: 'ann@example.com' });
    history.replay({ t: 'intent', id: 2, op: 'enroll', username: 'bob', email: 'bob@example.com' });
    history.replay({ t: 'outcome', id: 2, status: 'refused', error: 'no' });
    expect(history.wasSent('enroll ann')).toBe(true);
    expect(history.wasSent('enroll bob')).toBe(false);
  });

  it('keeps each field\'s value from before the run\'s first change of it (a sync\'s updates, in bulk or alone), and a status set', () => {
    const history = new RunHistory();
    const modify = (id: string, body: Record<string, string>) => ({ method: 'POST' as const, path: `/admin/v1/users/${id}`, body });
    history.replay({ t: 'intent', id: 1, op: 'bulk', operations: [modify('DU1', { realname: 'B', status: 'disabled' })],
      updates: [{ user_id: 'DU1', before: { realname: 'A', status: 'active' }, after: { realname: 'B', status: 'disabled' } }] });
    history.replay({ t: 'outcome', id: 1, status: 'ok' });
    history.replay({ t: 'intent', id: 2, op: 'update', user_id: 'DU1', before: { realname: 'B', email: 'a@x' }, after: { realname: 'C', email: 'c@x' } });
    history.replay({ t: 'outcome', id: 2, status: 'unknown' });
    expect(history.originalFields.get('DU1')).toEqual({ realname: 'A', status: 'active', email: 'a@x' });
    expect(history.statuses.get('DU1')).toBe('disabled');
  });

  it('knows the memberships a run removed that it had not added, so a rollback adds them back; a refused removal removed nothing', () => {
    const history = new RunHistory();
    history.replay({ t: 'intent', id: 1, op: 'membership', user_id: 'DU1', group_id: 'DG1' });
    history.replay({ t: 'outcome', id: 1, status: 'ok' });
    history.replay({ t: 'intent', id: 2, op: 'bulk', operations: [
      { method: 'DELETE', path: '/admin/v1/users/DU1/groups/DG1', body: {} },
      { method: 'DELETE', path: '/admin/v1/users/DU2/groups/DG1', body: {} },
    ] });
    history.replay({ t: 'outcome', id: 2, status: 'ok' });
    history.replay({ t: 'intent', id: 3, op: 'membership_remove', user_id: 'DU3', group_id: 'DG1' });
    history.replay({ t: 'outcome', id: 3, status: 'refused', error: 'no' });
    expect(history.removedMembershipsBefore()).toEqual([{ user_id: 'DU2', group_id: 'DG1' }]);
    expect(history.addedMemberships()).toEqual([]);
  });

  it('knows the hardware tokens a run attached (answered, or maybe), not those Duo refused or it detached again', () => {
    const history = new RunHistory();
    history.replay({ t: 'intent', id: 1, op: 'token_attach', user_id: 'DU1', token_id: 'DH1' });
    history.replay({ t: 'outcome', id: 1, status: 'ok' });
    history.replay({ t: 'intent', id: 2, op: 'token_attach', user_id: 'DU2', token_id: 'DH2' });
    history.replay({ t: 'outcome', id: 2, status: 'unknown', error: 'timeout' });
    history.replay({ t: 'intent', id: 3, op: 'token_attach', user_id: 'DU3', token_id: 'DH3' });
    history.replay({ t: 'outcome', id: 3, status: 'refused', error: 'held' });
    history.replay({ t: 'intent', id: 4, op: 'token_attach', user_id: 'DU4', token_id: 'DH4' });
    expect(history.attachedTokens()).toEqual([{ user_id: 'DU1', token_id: 'DH1' }, { user_id: 'DU2', token_id: 'DH2' }, { user_id: 'DU4', token_id: 'DH4' }]);
    history.replay({ t: 'intent', id: 5, op: 'token_detach', user_id: 'DU1', token_id: 'DH1' });
    history.replay({ t: 'outcome', id: 5, status: 'ok' });
    expect(history.attachedTokens().map((a) => a.token_id)).toEqual(['DH2', 'DH4']);
  });
});
