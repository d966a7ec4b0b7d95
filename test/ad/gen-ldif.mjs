#!/usr/bin/env node
// Test directory data for the Samba lab and the bundled sample:
//   gen-ldif.mjs N [--start S] [--base DN] [--realm R] [--no-ous] [--no-groups] [--no-users]
// User i is u<i, 6 digits>. Every 10th has no mail, i % 20 == 7 is disabled (OU=Disabled, UAC 514),
// every 7th has proxyAddresses, u000003 has 10 SMTP addresses. Groups: GG-Top ⊃ GG-Mid ⊃ GG-Leaf;
// GG-Leaf holds u1..u50, GG-Mid also u51..u60 directly; GG-Other holds u61..u70.
// Phones: every user but each 4th has a mobile written nationally, "(734) 555-NNNN" style (a US number with
// --default-country US); every 5th a desk telephoneNumber in international form with an extension; u000097 has
// a mobile that is not a number ("ask reception").
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : args[at + 1];
};
const count = Number(args[0] ?? 0);
const start = Number(option('--start', 1));
const base = option('--base', 'DC=example,DC=test');
const realm = option('--realm', 'example.test');
const flag = (name) => args.includes(name);

const FIRST = ['Anna', 'Björn', 'Chen', 'Dana', 'Émile', 'Fatima', 'Gülşen', 'Hanna', 'Ivan', 'Seán', 'Kim', 'Lee'];
const LAST = ['Smith', 'Nilsson', 'Weiß', "O'Brien", 'García', 'Yılmaz', 'Nguyen', 'Müller', 'Kowalski', 'Park'];

export const sam = (i) => `u${String(i).padStart(6, '0')}`;
export const isDisabled = (i) => i % 20 === 7;
export const hasMail = (i) => i % 10 !== 0;
export const mobileOf = (i) => (i === 97 ? 'ask reception' : i % 4 === 0 ? null : `(734) ${500 + Math.floor(i / 10000)}-${String(i % 10000).padStart(4, '0')}`);
export const mobileE164 = (i) => `+1734${500 + Math.floor(i / 10000)}${String(i % 10000).padStart(4, '0')}`;
export const deskOf = (i) => (i % 5 === 0 ? `+44 20 ${7946 + Math.floor(i / 10000)} ${String(i % 10000).padStart(4, '0')} x${i % 100}` : null);
const userDn = (i) => `CN=${sam(i)},OU=${isDisabled(i) ? 'Disabled' : 'People'},${base}`;

/** `attr: value`, or `attr:: base64` for values LDIF may not write plainly (RFC 2849 SAFE-STRING). */
function line(attr, value) {
  return /^[\x01-\x09\x0b\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f][\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(value) && !value.endsWith(' ')
    ? `${attr}: ${value}`
    : `${attr}:: ${Buffer.from(value).toString('base64')}`;
}

function user(i) {
  const first = FIRST[i % FIRST.length];
  const last = LAST[(i * 7) % LAST.length];
  const lines = [
    `dn: ${userDn(i)}`,
    'objectClass: user',
    line('sAMAccountName', sam(i)),
    line('userPrincipalName', `${sam(i)}@${realm}`),
    line('givenName', first),
    line('sn', last),
    line('displayName', `${first} ${last}`),
    `userAccountControl: ${isDisabled(i) ? 514 : 512}`,
    `employeeNumber: ${i}`,
  ];
  if (hasMail(i)) lines.push(line('mail', `${sam(i)}@${realm}`));
  if (mobileOf(i) !== null) lines.push(line('mobile', mobileOf(i)));
  if (deskOf(i) !== null) lines.push(line('telephoneNumber', deskOf(i)));
  if (i === 3) {
    for (let k = 1; k <= 10; k++) lines.push(line('proxyAddresses', `${k === 1 ? 'SMTP' : 'smtp'}:${sam(i)}.${k}@${realm}`));
  } else if (i % 7 === 0) {
    lines.push(line('proxyAddresses', `smtp:${sam(i)}@legacy.${realm}`));
    lines.push(line('proxyAddresses', `X500:/o=Example/ou=Exchange/cn=Recipients/cn=${sam(i)}`));
    lines.push(line('proxyAddresses', `SMTP:${`${first}.${last}.${i}`.normalize('NFD').replace(/[^A-Za-z0-9.]/g, '').toLowerCase()}@${realm}`));
  }
  return lines.join('\n');
}

function group(name, members) {
  return [`dn: CN=${name},OU=Groups,${base}`, 'objectClass: group', `sAMAccountName: ${name}`, ...members.map((m) => `member: ${m}`)].join('\n');
}

const records = [];
if (!flag('--no-ous')) {
  for (const ou of ['People', 'Groups', 'Disabled']) records.push(`dn: OU=${ou},${base}\nobjectClass: organizationalUnit\nou: ${ou}`);
}
if (!flag('--no-users')) for (let i = start; i < start + count; i++) records.push(user(i));
if (!flag('--no-groups')) {
  const range = (from, to) => Array.from({ length: Math.max(0, Math.min(to, count) - from + 1) }, (_, k) => userDn(from + k));
  records.push(group('GG-Leaf', range(1, 50)));
  records.push(group('GG-Mid', [`CN=GG-Leaf,OU=Groups,${base}`, ...range(51, 60)]));
  records.push(group('GG-Top', [`CN=GG-Mid,OU=Groups,${base}`]));
  records.push(group('GG-Other', range(61, 70)));
}
process.stdout.write(records.join('\n\n') + '\n');
