import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FakeDuo } from '../fake-duo/fake-duo.js';
import { REPO } from '../helpers/run-cli.js';
import { tmpFiles } from '../helpers/tmp-files.js';

/**
 * The simulator's fidelity proof: Duo's two official clients, which nobody here wrote, make the
 * calls an admin's own scripts make, and get Duo's documented answers. The Python client is
 * Debian's python3-duo-client (4.5: v2 signatures with HMAC-SHA1 by default, or v4); the Node client
 * is @duosecurity/duo_api (v2 with HMAC-SHA512 by default, or v5). Both speak HTTPS only: the
 * simulator serves a certificate made here with openssl. The Python client takes it as ca_certs
 * (and a port); the Node client pins Duo's own CA in lib/constants.js and always dials port 443, so
 * this test replaces that constant with the certificate and adds the port to its https.request calls.
 */
const require = createRequire(import.meta.url);
const PYTHON = process.env.DUO_BRIDGE_PYTHON ?? '/usr/bin/python3';
const USERS = 250;

let tls: FakeDuo;
let plain: FakeDuo;
let certPath: string;
let cert: string;

function seed(duo: FakeDuo): void {
  for (let i = 1; i <= USERS; i++) {
    const name = `user${String(i).padStart(3, '0')}`;
    duo.seed({ username: name, realname: `Given${i} Sur${i}`, email: `user${i}@corp.example` }, [`alias.${name}`]);
  }
}

beforeAll(async () => {
  const dir = tmpFiles();
  certPath = join(dir, 'sim.crt');
  // The Python client checks the host name against the certificate's DNS names only: it connects to "localhost".
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', join(dir, 'sim.key'), '-out', certPath], { stdio: 'ignore' });
  cert = readFileSync(certPath, 'utf8');
  tls = await new FakeDuo({ tls: { cert, key: readFileSync(join(dir, 'sim.key')) } }).start();
  plain = await new FakeDuo().start();
  seed(tls);
  seed(plain);
});

afterAll(async () => {
  await tls?.stop();
  await plain?.stop();
});

/** Runs the Python script (asynchronously: the simulator answering it lives in this process). */
async function python(duo: FakeDuo, ca: string, sig: '2' | '4', digest: 'sha1' | 'sha512'): Promise<any> {
  const url = new URL(duo.url);
  const child = spawn(PYTHON, [join(REPO, 'test', 'clients', 'python_admin.py')], {
    env: { PATH: process.env.PATH, SIM_HOST: ca === 'HTTP' ? url.hostname : 'localhost', SIM_PORT: url.port, SIM_IKEY: duo.ikey, SIM_SKEY: duo.skey, SIM_CA: ca, SIM_SIG: sig, SIM_DIGEST: digest },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [status] = await once(child, 'close');
  if (status !== 0) throw new Error(`python client failed (${status}): ${stderr}`);
  return JSON.parse(stdout);
}

describe("Duo's official Python client (Debian's python3-duo-client) against the simulator", () => {
  for (const [name, ca, sig, digest] of [['HTTPS, v2 signatures with HMAC-SHA1 (its default)', 'cert', '2', 'sha1'], ['plain HTTP (ca_certs="HTTP"), v4 signatures', 'HTTP', '4', 'sha512']] as const) {
    it(`${name}: paging, lookups, create with legacy aliases, modify, phones, groups, hardware tokens, refusals, delete twice`, async () => {
      const out = await python(ca === 'cert' ? tls : plain, ca === 'cert' ? certPath : 'HTTP', sig, digest);
      expect(out.users).toBe(USERS);
      expect(out.by_name).toEqual(['user007']);
      expect(out.by_alias).toEqual(['user007']);
      expect(out.missing).toEqual([]);
      expect(out.created).toEqual({ username: 'py.created', realname: 'Py Created', email: 'py.created@corp.example', alias1: 'py.alias', alias2: 'py.created@old.example',
        aliases: { alias1: 'py.alias', alias2: 'py.created@old.example' }, status: 'active' });
      expect(out.updated).toEqual({ realname: 'Py Renamed', notes: 'a note with spaces & symbols = %', aliases: { alias1: 'py.alias', alias2: 'py.created@old.example' } });
      expect(out.taken_alias).toMatchObject({ status: 400 });
      expect(out.both_alias_forms).toMatchObject({ status: 400 });
      expect(out.user_phones).toEqual(['+15555550100']);
      expect(out.phones_by_number).toEqual([true]);
      expect(out.user_groups).toEqual(['Py Group']);
      expect(out.user_groups_after).toEqual([]);
      expect(out.tokens).toEqual([]);
      expect(out.token_created).toEqual({ type: 'h6', serial: '101222', users: [] });
      expect(out.totp_step).toBe(30);
      expect(out.token_by_serial).toEqual([true]);
      expect(out.token_wrong_type).toEqual([]);
      expect(out.token_twice).toMatchObject({ status: 400 });
      expect(out.token_no_secret).toEqual({ status: 400, message: 'Received 400 Missing required request parameters (secret)' });
      expect(out.user_tokens).toEqual(['101222']);
      expect(out.token_users).toEqual(['py.created']);
      expect(out.all_tokens).toEqual(['101222', 'T-77']);
      expect(out.user_object_tokens).toEqual(['101222']);
      expect(out.user_tokens_after).toEqual([]);
      expect(out.detach_twice).toEqual({ status: 404, message: 'Received 404 Resource not found (token_id)' });
      expect(out.delete_token_twice).toBeNull();
      expect(out.fields).toEqual(['created', 'groups', 'is_enrolled', 'last_login', 'phones', 'tokens', 'u2ftokens', 'webauthncredentials']);
      expect(out.no_username).toEqual({ status: 400, message: 'Received 400 Missing required request parameters (username)' });
      for (const [key, param] of [['limit_zero', 'limit'], ['limit_abc', 'limit'], ['offset_negative', 'offset']]) {
        expect(out[key!]).toEqual({ status: 400, message: `Received 400 Invalid request parameters (${param})` });
      }
      expect(out.not_modelled).toMatchObject({ status: 501, message: expect.stringContaining('Not modelled: the duo-bridge simulator does not serve GET /admin/v1/integrations') });
      expect(out.unknown_user).toEqual({ status: 404, message: 'Received 404 Resource not found (user_id)' });
      expect(out.second_delete).toBeNull();
      expect(out.after_delete).toEqual([]);
      expect(out.users_after).toBe(USERS);
    });
  }
});

describe("Duo's official Node client (@duosecurity/duo_api) against the simulator", () => {
  const duoApi = require('@duosecurity/duo_api');
  const constants = require('@duosecurity/duo_api/lib/constants.js');
  const https = require('node:https');
  let request: unknown;

  beforeAll(() => {
    // The client pins Duo's CA and dials 443: trust the simulator's certificate instead, and its port.
    constants.DUO_PINNED_CERT = cert;
    request = https.request;
    const port = Number(new URL(tls.url).port);
    https.request = (options: Record<string, unknown>, callback: unknown) => (request as Function)({ ...options, port }, callback);
  });

  afterAll(() => {
    https.request = request;
  });

  for (const [name, version] of [['v2 signatures (its default, HMAC-SHA512, form bodies)', duoApi.SIGNATURE_VERSION_2], ['v5 signatures (JSON bodies)', duoApi.SIGNATURE_VERSION_5]] as const) {
    it(`${name}: paging, ?username= ?email= ?user_id_list=, create, bulk_create, Trash and back, refusals, delete twice`, async () => {
      const client = new duoApi.Client(tls.ikey, tls.skey, '127.0.0.1', version);
      const call = (method: string, path: string, params: Record<string, string> = {}): Promise<any> =>
        new Promise((resolve) => client.jsonApiCall(method, path, params, resolve));
      const suffix = version === duoApi.SIGNATURE_VERSION_5 ? 'v5' : 'v2';

      let offset: number | undefined = 0;
      let listed = 0;
      while (offset !== undefined) {
        const page = await call('GET', '/admin/v1/users', { limit: '100', offset: String(offset) });
        expect(page.stat).toBe('OK');
        listed += page.response.length;
        offset = page.metadata.next_offset;
      }
      expect(listed).toBeGreaterThanOrEqual(USERS);
      expect((await call('GET', '/admin/v1/users', { username: 'alias.user042' })).response.map((u: any) => u.username)).toEqual(['user042']);
      expect((await call('GET', '/admin/v1/users', { email: 'USER42@corp.example' })).response.map((u: any) => u.username)).toEqual(['user042']);
      const ids = (await call('GET', '/admin/v1/users', { username: 'user001' })).response.concat((await call('GET', '/admin/v1/users', { username: 'user002' })).response).map((u: any) => u.user_id);
      const byIds = await call('GET', '/admin/v1/users', { user_id_list: JSON.stringify(ids) });
      expect(byIds.response.map((u: any) => u.username).sort()).toEqual(['user001', 'user002']);

      const created = await call('POST', '/admin/v1/users', { username: `node.${suffix}`, realname: 'Node Created', aliases: `alias1=node.${suffix}.alias` });
      expect(created).toMatchObject({ stat: 'OK', response: { username: `node.${suffix}`, aliases: { alias1: `node.${suffix}.alias` }, last_login: null, tokens: [] } });
      const bulk = await call('POST', '/admin/v1/users/bulk_create', { users: JSON.stringify([{ username: `bulk1.${suffix}` }, { username: `bulk2.${suffix}`, email: `b2.${suffix}@corp.example` }]) });
      expect(bulk.stat).toBe('OK');
      expect(bulk.response.map((u: any) => u.username)).toEqual([`bulk1.${suffix}`, `bulk2.${suffix}`]);
      const trashed = await call('POST', '/admin/v1/users/bulk_send_to_trash', { user_id_list: JSON.stringify([bulk.response[0].user_id]) });
      expect(trashed.stat).toBe('OK');
      expect((await call('GET', `/admin/v1/users/${bulk.response[0].user_id}`)).response.status).toBe('pending deletion');
      expect((await call('POST', '/admin/v1/users/bulk_restore', { user_id_list: JSON.stringify([bulk.response[0].user_id]) })).stat).toBe('OK');

      expect(await call('POST', '/admin/v1/users', {})).toEqual({ stat: 'FAIL', code: 40001, message: 'Missing required request parameters', message_detail: 'username' });
      expect(await call('GET', '/admin/v1/users', { limit: '0' })).toMatchObject({ stat: 'FAIL', code: 40002, message_detail: 'limit' });
      expect(await call('GET', '/admin/v1/integrations')).toMatchObject({ stat: 'FAIL', code: 50100 });
      for (const user of [created.response, ...bulk.response]) {
        expect((await call('DELETE', `/admin/v1/users/${user.user_id}`)).stat).toBe('OK');
        expect((await call('DELETE', `/admin/v1/users/${user.user_id}`)).stat).toBe('OK');
      }
      // A wrong secret is refused, as Duo refuses it.
      const wrong = new duoApi.Client(tls.ikey, `${tls.skey}x`, '127.0.0.1', version);
      expect(await new Promise((resolve) => wrong.jsonApiCall('GET', '/admin/v1/users', {}, resolve))).toMatchObject({ stat: 'FAIL', code: 40103 });
    });
  }
});
