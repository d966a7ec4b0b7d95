import type { Argv } from 'yargs';

/**
 * The directory source, selection and mapping options: export's, which sync shares. The LDAP
 * timeout is --ldap-timeout everywhere (Duo's is --duo-timeout); export's earlier --timeout still
 * works, hidden. Sync has no --include-disabled (it always reads disabled accounts).
 */
export function directoryOptions(yargs: Argv, command: 'export' | 'sync'): Argv {
  const selection = command === 'export' ? ['filter', 'group', 'include-disabled'] : ['filter', 'group'];
  const withDisabled = command === 'export'
    ? yargs.option('include-disabled', { type: 'boolean', describe: 'also export disabled accounts, with status "disabled"' })
      .option('timeout', { type: 'number', requiresArg: true, hidden: true, deprecated: 'use --ldap-timeout' })
    : yargs;
  const mapping = withDisabled
    .group(['url', 'bind-dn', 'base', 'starttls', 'ca', 'insecure-plaintext-bind', 'password-file', 'page-size', 'ldap-timeout', 'connect-timeout'], 'LDAP source:')
    .option('url', { type: 'string', describe: 'ldaps://dc:636 or ldap://dc:389 (env LDAP_URL)' })
    .option('bind-dn', { type: 'string', describe: 'DN, UPN (svc@corp.example) or DOMAIN\\user (env LDAP_BIND_DN)' })
    .option('base', { type: 'string', describe: 'search base, e.g. "DC=corp,DC=example" (env LDAP_BASE)' })
    .option('starttls', { type: 'boolean', describe: 'upgrade ldap:// with StartTLS before binding' })
    .option('ca', { type: 'string', describe: 'PEM file of the CA that issued the DC certificate (TLS is always verified)' })
    .option('insecure-plaintext-bind', { type: 'boolean', describe: 'allow a simple bind over plain ldap:// (the password travels in clear)' })
    .option('password-file', { type: 'string', describe: 'file holding the bind password (else env LDAP_BIND_PASSWORD)' })
    .option('page-size', { type: 'number', requiresArg: true, describe: 'entries per LDAP page (default 500, at most 1000)' })
    .option('ldap-timeout', { type: 'number', requiresArg: true, describe: `seconds per LDAP operation (default 120)${command === 'export' ? '; --timeout, its earlier name, still works' : ''}` })
    .option('connect-timeout', { type: 'number', requiresArg: true, describe: 'seconds to connect (default 10)' })
    .group(['from-ldif'], 'File source:')
    .option('from-ldif', { type: 'string', describe: `read an LDIF dump (ldifde -f, ldapsearch -LLL) instead of LDAP${command === 'sync' ? '; it must hold objectGUID' : ''}` })
    .group(selection, 'Selection:')
    .option('filter', { type: 'string', describe: 'LDAP filter ANDed with "user objects", e.g. "(department=Sales)"' })
    .option('group', { type: 'string', array: true, describe: 'group DN; members at any depth (repeatable)' })
    .group(command === 'export' ? ['username-attr', 'alias-attr', 'phone-attr', 'default-country', 'duo-group', 'lowercase'] : ['username-attr', 'alias-attr', 'duo-group', 'lowercase'], 'Mapping:')
    .option('username-attr', { type: 'string', describe: 'attribute for the Duo username (default sAMAccountName)' })
    .option('alias-attr', { type: 'string', array: true, describe: 'attribute for alias1.. in order (repeatable, at most 8)' });
  // Phones are export's (and import's): a sync does not manage them.
  const phones = command === 'export'
    ? mapping
      .option('phone-attr', { type: 'string', array: true, describe: 'attribute for phone1.. in order, e.g. mobile, telephoneNumber (repeatable); normalised to +E.164' })
      .option('default-country', { type: 'string', describe: 'country of phone numbers written without +CC (e.g. US, DE)' })
    : mapping;
  return phones
    .option('duo-group', { type: 'string', array: true, describe: command === 'export'
      ? 'AD group DN: its members (at any depth) get its cn as a Duo group in group1.. (repeatable; a config file may map DN to another name)'
      : 'AD group DN whose members (at any depth) get its cn as a Duo group: the groups the sync keeps in step (repeatable; a config file may map DN to another name)' })
    .option('lowercase', { type: 'boolean', describe: 'lower-case usernames and aliases' });
}
