// What `npm run fuzz` generates besides mutating the samples (issue 32): CSVs and LDIF dumps built
// from a hostile alphabet, sync runs with their dumps, states, configs and saved plans, raw HTTP to
// a running simulator, and oracles for wrong results that exit 0. Each target returns
// { args?, problem? }: the fuzzer runs `args` and checks exits and stack traces; `problem` is an
// oracle's finding on a run that looked fine.
import { spawn } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';

// Pieces names are made of: plain letters, look-alikes, invisible and bidi characters, line breaks, long runs.
const NAME_PIECES = ['a', 'b', 'j', 'smith', 'user1', 'm', 'rn', '0', '1', 'l', '.', '@corp.example', '-', '_', ' ', '\u0435', '\uff55', '\u03bf',
  '\u200b', '\u202e', '\ufffd', '\u2066', '\u2069', '\u2028', '\u00ad', '\ufeff', 'é', 'e\u0301', '\u00a0', '😀', '"', ',', ';', "'", '=', '+', '\t', '\n', '\r\n'];
const NOTE_PIECES = ['note', ' ', '\n', '\r\n', '\r', '"', ',', ';', 'é', '=1+1', '\u2028', 'x'.repeat(50)];

export function generators({ random, pick, int }) {
  const text = (pieces, most) => Array.from({ length: 1 + int(most) }, () => pick(pieces)).join('');
  const name = () => (random() < 0.03 ? 'a'.repeat(90 + int(30)) : random() < 0.01 ? 'x'.repeat(5000) : text(NAME_PIECES, 4));
  const quote = (cell) => (/[",;\r\n\t]/.test(cell) || cell !== cell.trim() ? `"${cell.replaceAll('"', '""')}"` : cell);

  /** A Duo CSV built, not mutated: a few columns, names from the hostile alphabet, notes with line breaks. */
  function csv() {
    const rows = [];
    for (let i = 1 + int(12); i > 0; i--) rows.push([name(), random() < 0.5 ? name() : '', `u${int(50)}@corp.example`, random() < 0.5 ? text(NOTE_PIECES, 5) : '', random() < 0.3 ? '+1202555' + String(1000 + int(9000)) : '']);
    const eol = pick(['\n', '\r\n']);
    return 'username,alias1,email,notes,phone1' + eol + rows.map((r) => r.map(quote).join(',')).join(eol) + eol;
  }

  /** An LDIF dump built from entries with hostile names and userAccountControl values. */
  function ldif() {
    const uacs = ['512', '514', '66048', '66050', '514x', '99999999999999999999999', '-1', '', '4294967295', '0x2', ' 514 ', '1e3'];
    const entries = [];
    for (let i = 1 + int(8); i > 0; i--) {
      const guid = Buffer.alloc(16, i).toString('base64');
      const uac = pick(uacs);
      const sam = name();
      entries.push([`dn: CN=U${i},OU=People,DC=corp,DC=example`, 'objectClass: user', `objectGUID:: ${guid}`,
        `sAMAccountName:: ${Buffer.from(sam).toString('base64')}`, `mail: u${i}@corp.example`, ...(uac === '' ? [] : [`userAccountControl: ${uac}`])].join('\n'));
    }
    return entries.join('\n\n') + '\n';
  }
  return { csv, ldif, name };
}

/** Cells of a CSV as a reader should see them: line ends inside cells as LF, trimmed. */
export function csvRows(text) {
  const rows = parse(text.replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true, relax_column_count: true, bom: true });
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k.toLowerCase(), String(v).replace(/\r\n?/g, '\n').trim()])));
}

/**
 * Oracle: a CSV validate calls ready round-trips through `import --duo-csv` row by row (same
 * usernames, emails, notes, in order), and the Duo CSV read again gives the same bytes.
 */
export function duoCsvRoundTrip(duo, work, input) {
  const first = join(work, 'duo1.csv');
  const second = join(work, 'duo2.csv');
  const validate = duo(['validate', input]);
  if (validate.status !== 0) return { runs: [validate] };
  const one = duo(['import', input, '--duo-csv', first]);
  if (one.status !== 0) return { runs: [validate, one], problem: `validate called it ready (exit 0) but import --duo-csv exited ${one.status}` };
  const two = duo(['import', first, '--duo-csv', second]);
  if (two.status !== 0) return { runs: [validate, one, two], problem: `the Duo CSV import wrote is refused when read back (exit ${two.status})` };
  const a = csvRows(readFileSync(input, 'utf8'));
  const b = csvRows(readFileSync(first, 'utf8'));
  if (a.length !== b.length) return { runs: [validate, one, two], problem: `round trip: ${a.length} rows became ${b.length}` };
  for (let i = 0; i < a.length; i++) {
    for (const column of ['username', 'email', 'notes']) {
      // duo-bridge sends values NFC-normalised (Duo compares names after NFC: src/csv/duo-row.ts): a decomposed é comes back composed.
      const want = (a[i][column] ?? '').replace(/^'(?=[=+\-@\t\r＝＋－＠])/, '').normalize('NFC');
      const got = b[i][column] ?? '';
      if (want !== got) return { runs: [validate, one, two], problem: `round trip: row ${i + 1} ${column} ${JSON.stringify(want)} became ${JSON.stringify(got)}` };
    }
  }
  if (readFileSync(first, 'utf8') !== readFileSync(second, 'utf8')) return { runs: [validate, one, two], problem: 'the Duo CSV changed when read back and written again' };
  return { runs: [validate, one, two] };
}

/** Oracle: a name validate calls ready is written to the batch files as it is in the CSV, none invisible or over the limit. */
export function batchesMatch(duo, work, input) {
  const out = join(work, 'batches-oracle');
  // The work folder is the whole fuzz run's: the last input's batches are not this one's.
  rmSync(out, { recursive: true, force: true });
  const validate = duo(['validate', input]);
  if (validate.status !== 0) return { runs: [validate] };
  const run = duo(['import', input, '--out-dir', out]);
  if (run.status !== 0) return { runs: [validate, run], problem: `validate called it ready but import --out-dir exited ${run.status}` };
  const written = readdirSync(out).filter((f) => f.startsWith('batch-')).sort().flatMap((f) => JSON.parse(readFileSync(join(out, f), 'utf8')).users.map((u) => u.username));
  // As duo-bridge sends names: NFC-normalised (src/csv/duo-row.ts).
  const wanted = csvRows(readFileSync(input, 'utf8')).map((r) => r.username.replace(/^'(?=[=+\-@\t\r＝＋－＠])/, '').normalize('NFC'));
  if (JSON.stringify(written) !== JSON.stringify(wanted)) return { runs: [validate, run], problem: `batch usernames ${JSON.stringify(written).slice(0, 200)} differ from the CSV's ${JSON.stringify(wanted).slice(0, 200)}` };
  const bad = written.find((u) => /[\p{Cf}\p{Zl}\p{Zp}\uFFFD]/u.test(u) || [...u].length > 100);
  if (bad !== undefined) return { runs: [validate, run], problem: `a username validate called ready is invisible-damaged or too long: ${JSON.stringify(bad.slice(0, 60))}` };
  return { runs: [validate, run] };
}

/** Oracle: an entry whose userAccountControl is not a 32-bit integer is never exported as active. */
export function exportStatus(duo, work, dump) {
  const out = join(work, 'export-oracle.csv');
  const run = duo(['export', '--from-ldif', dump, '--include-disabled', '--out', out]);
  if (run.status !== 0) {
    if (existsSync(out)) return { runs: [run], problem: `export exited ${run.status} but wrote ${out}` };
    return { runs: [run] };
  }
  const uacOf = new Map();
  for (const entry of readFileSync(dump, 'utf8').split(/\n\n/)) {
    const dn = /^dn: (.*)$/m.exec(entry)?.[1];
    if (dn !== undefined) uacOf.set(dn, /^userAccountControl: (.*)$/m.exec(entry)?.[1]);
  }
  for (const row of csvRows(readFileSync(out, 'utf8'))) {
    const uac = uacOf.get(row.ad_dn);
    if (uac === undefined) continue;
    const valid = /^-?\d{1,10}$/.test(uac.trim()) && Number(uac) >= -(2 ** 31) && Number(uac) < 2 ** 32;
    const status = row.status;
    if (!valid && status === '') return { runs: [run], problem: `userAccountControl ${JSON.stringify(uac)} exported as active (${row.ad_dn})` };
    if (valid && ((Number(uac) & 2) !== 0) !== (status === 'disabled')) return { runs: [run], problem: `userAccountControl ${uac} exported as ${JSON.stringify(status)}` };
  }
  return { runs: [run] };
}

/** `duo-bridge simulator` in a child process, as admins run it; its output goes to files (the fuzzer blocks in spawnSync). */
export async function startSimulator(node, bin, work) {
  const outFile = join(work, 'simulator.out');
  const errFile = join(work, 'simulator.err');
  const tenant = join(work, 'simulator-tenant.json');
  writeFileSync(tenant, JSON.stringify({ users: [] }));
  const child = spawn(node, [bin, 'simulator', '--tenant', tenant], { env: { PATH: process.env.PATH }, stdio: ['ignore', openSync(outFile, 'w'), openSync(errFile, 'w')] });
  const read = (file) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  for (let waited = 0; !/DUO_SKEY=\S+\n/.test(read(outFile)); waited += 50) {
    if (child.exitCode !== null || waited > 30000) throw new Error(`the simulator did not start: ${read(errFile)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const env = Object.fromEntries([...read(outFile).matchAll(/^export (DUO_\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
  return { env, child, stderr: () => read(errFile), stop: () => child.kill('SIGTERM') };
}

const TARGETS = ['/admin/v1/users', '//[', '//a:99999999/x', 'http://[::1/', '/admin/v1/users?username_list=%ZZ', '/%', '*', '/admin/v1/users/' + 'x'.repeat(3000), '/admin/v1/bulk'];

/** One raw HTTP request, generated: a hostile target, headers, a body that may lie about its length or stop mid-way. */
export function rawRequest({ random, pick, int }, ikey) {
  const method = pick(['GET', 'POST', 'DELETE', 'PUT', 'GET', 'POST']);
  const target = pick(TARGETS);
  const auth = random() < 0.5 ? `Authorization: Basic ${Buffer.from(`${random() < 0.7 ? ikey : 'DIWRONG'}:${'0'.repeat(int(200))}`).toString('base64')}\r\nDate: ${new Date().toUTCString()}\r\n` : '';
  const body = random() < 0.5 ? '' : pick(['{', 'username=a', '{"username":"a"}', 'x'.repeat(int(100000))]);
  const length = random() < 0.7 ? Buffer.byteLength(body) : int(400_000_000);
  const type = pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain', '']);
  const head = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}${type ? `Content-Type: ${type}\r\n` : ''}${random() < 0.9 ? `Content-Length: ${length}\r\n` : 'Transfer-Encoding: chunked\r\n'}\r\n`;
  return { text: head + body, abort: random() < 0.3 };
}

/** Sends raw bytes; resolves with the status line answered ('' if none). */
export function sendRaw(url, { text, abort }, timeoutMs = 5000) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(text);
      if (abort) setTimeout(() => socket.destroy(), 20);
    });
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (c) => {
      answer += c.toString('latin1');
      if (answer.includes('\r\n')) socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer.split('\r\n')[0] ?? '');
    });
  });
}

/** A state, config or saved plan for sync: a valid one's shape, damaged. */
export function syncFiles({ random, pick, int }, mutate, work) {
  const files = {};
  const state = join(work, 'sync-state.json');
  const config = join(work, 'sync-config.json');
  const plan = join(work, 'sync-plan.json');
  const json = (value) => Buffer.from(JSON.stringify(value));
  if (existsSync(state) && random() < 0.5) writeFileSync(state, mutate(readFileSync(state)));
  if (random() < 0.4) {
    const base = { 'trash-after-days': pick([30, -1, 0, 1e9, 'x', null]), 'threshold-count': pick([10, -5, 'ten', 1e308]), 'protect-user': pick([['admin'], 'admin', [1], []]), 'drift-status': pick(['report', 'ad-wins', 'nope']) };
    writeFileSync(config, random() < 0.5 ? json(base) : mutate(json(base)));
    files.config = config;
  }
  if (existsSync(plan) && random() < 0.4) {
    writeFileSync(plan, mutate(readFileSync(plan)));
    files.plan = plan;
  }
  return { state, plan, ...files };
}
