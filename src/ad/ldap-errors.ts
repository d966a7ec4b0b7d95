import { InvalidCredentialsError, NoSuchObjectError, ResultCodeError, StrongAuthRequiredError } from 'ldapts';
import { LdapError } from '../errors.js';

// The "data" code AD puts in a refused bind's message (…AcceptSecurityContext error, data 52e, v1db1).
const BIND_REASONS: Record<string, string> = {
  '525': 'no such user',
  '52e': 'wrong password',
  '530': 'not permitted to log on at this time',
  '531': 'not permitted to log on from this workstation',
  '532': 'password expired',
  '533': 'account disabled',
  '701': 'account expired',
  '773': 'the user must reset the password',
  '775': 'account locked out',
};

const TLS_TRUST_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'CERT_UNTRUSTED',
]);

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

export type LdapStage = 'connect' | 'bind' | 'search';

export interface LdapErrorContext {
  readonly url: string;
  readonly stage: LdapStage;
  readonly bindDn?: string | undefined;
  readonly base?: string | undefined;
  /** Entries received before the failure, for a search that died mid-way. */
  readonly entries?: number;
}

/** Turns whatever ldapts or the socket threw into one LdapError line that says what to do. */
export function translateLdapError(error: unknown, context: LdapErrorContext): LdapError {
  const { url } = context;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  const make = (reason: string, message: string): LdapError => new LdapError(reason, message, { cause: error });

  if (error instanceof InvalidCredentialsError) {
    const data = /data ([0-9a-f]{3})/i.exec(text)?.[1]?.toLowerCase();
    const why = data ? `${BIND_REASONS[data] ?? 'refused'} (AD data ${data})` : 'invalid credentials';
    return make('LDAP_BIND_REFUSED', `${url}: bind as ${context.bindDn ?? '(anonymous)'} refused: ${why}`);
  }
  if (error instanceof StrongAuthRequiredError) {
    return make('LDAP_STRONG_AUTH_REQUIRED',
      `${url}: the DC requires a protected connection for a simple bind: use ldaps:// or --starttls, with --ca for its CA`);
  }
  if (error instanceof NoSuchObjectError) {
    return make('LDAP_NO_SUCH_BASE', `${url}: the base DN "${context.base ?? ''}" does not exist on this server (check --base)`);
  }
  if (typeof code === 'string' && (TLS_TRUST_CODES.has(code) || code === 'CERT_HAS_EXPIRED' || code === 'ERR_TLS_CERT_ALTNAME_INVALID')) {
    const advice = code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? 'connect with a host name that the certificate names'
      : code === 'CERT_HAS_EXPIRED' ? 'the DC must renew its certificate' : 'pass the CA that issued the DC certificate with --ca FILE';
    return make('LDAP_TLS', `${url}: TLS certificate not accepted (${code}): ${advice}`);
  }
  if (context.stage === 'search' && (context.entries ?? 0) > 0) {
    return make('LDAP_CONNECTION_LOST', `${url}: the connection to the DC was lost during the search after ${context.entries} entries (${text}); nothing was written`);
  }
  if ((typeof code === 'string' && UNREACHABLE_CODES.has(code)) || /connection timeout|connect timeout/i.test(text)) {
    return make('LDAP_UNREACHABLE', `${url}: cannot connect (${code ?? text})`);
  }
  if (error instanceof ResultCodeError) {
    return make('LDAP_RESULT', `${url}: ${context.stage} failed: ${text} (LDAP result ${error.code})`);
  }
  return make('LDAP_FAILED', `${url}: ${context.stage} failed: ${(code ? `${code} ` : '') + text}`);
}
