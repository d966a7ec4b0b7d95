import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The lab DC that test/ad/run-suite.sh started (lab.sh prints these variables). */
export const AD = {
  dir: required('AD_DIR'),
  url: required('AD_URL'),
  urlTls: required('AD_URL_TLS'),
  ca: required('AD_CA'),
  base: required('AD_BASE'),
  realm: required('AD_REALM'),
  users: Number(required('AD_USERS')),
  exportUser: required('AD_EXPORT_USER'),
  exportPassword: required('AD_EXPORT_PASSWORD'),
};

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the AD suite with "npm run test:ad"`);
  return value;
}

const LAB = fileURLToPath(new URL('./lab.sh', import.meta.url));

export function lab(...args: string[]): void {
  execFileSync('bash', [LAB, ...args], { env: { ...process.env, AD_DIR: AD.dir }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Runs OpenLDAP's ldapsearch as the export account: the independent view of the directory. */
export function ldapsearch(filter: string, attributes: string[], extra: string[] = []): string {
  return execFileSync('ldapsearch', ['-x', '-LLL', '-o', 'ldif_wrap=no', '-H', AD.url, '-D', AD.exportUser, '-w', AD.exportPassword,
    '-b', AD.base, '-E', 'pr=500/noprompt', ...extra, filter, ...attributes], { encoding: 'utf8', maxBuffer: 1 << 28 });
}

export const USERS = '(&(objectCategory=person)(objectClass=user))';
export const ENABLED_USERS = '(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))';

export const sam = (i: number): string => `u${String(i).padStart(6, '0')}`;
/** A filter for users u000001..u<n> (employeeNumber is a string attribute: <= compares text). */
export function firstUsers(n: number): string {
  return `(|${Array.from({ length: n }, (_, k) => `(sAMAccountName=${sam(k + 1)})`).join('')})`;
}

/** The generator's rules (gen-ldif.mjs). */
export const isDisabled = (i: number): boolean => i % 20 === 7;

/** ldapadd, ldapmodify or ldapdelete as the lab's Administrator: how the tests change AD. */
export function asAdmin(command: 'ldapadd' | 'ldapmodify' | 'ldapdelete', input: string, extra: string[] = []): void {
  const admin = { dn: process.env.AD_ADMIN ?? '', password: process.env.AD_ADMIN_PASSWORD ?? '' };
  execFileSync(command, ['-x', '-H', AD.url, '-D', admin.dn, '-w', admin.password, ...extra], { input: `${input}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
}

export function ldapEnv(password = AD.exportPassword): NodeJS.ProcessEnv {
  return { LDAP_BIND_PASSWORD: password };
}
