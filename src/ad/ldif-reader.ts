import { TextDecoder } from 'node:util';
import { DataError } from '../errors.js';
import { BINARY_ATTRIBUTE_KEYS, type DirectoryEntry } from './directory-entry.js';
import { mayReferToUsers } from './ldap-source.js';

export interface LdifStats {
  /** Records skipped because they change entries (changetype modify/delete/modrdn) instead of listing them. */
  changeRecords: number;
  /**
   * The `result:` of plain `ldapsearch` output (without -LLL), when the dump has one: the first
   * that is not a well-formed success. `code` null: the line is not `result: <number> <text>`.
   */
  searchResult: { readonly code: number | null; readonly text: string; readonly line: number } | null;
  /** Search references in the dump (`# refldap://…` with -L/-LL/-LLL, a `ref:` record without): not followed. */
  referrals?: number;
  /** Those that may lead to users (not the DNS, configuration or schema partitions): the dump may lack users. */
  userReferrals?: number;
}

/**
 * A search reference as ldapsearch -L, -LL and -LLL write it: a comment "#" + " " + "ref" + the URL
 * (LDIF_PUT_COMMENT drops the colon), e.g. `# refldap://emea.corp.example/DC=emea,DC=corp,DC=example`.
 * Only a URL an LDAP client could follow counts: any other comment stays a comment.
 */
const REFERENCE_COMMENT = /^#\s*ref:?\s*((?:ldaps?|ldapi|gc):\/\/.*)$/i;

/**
 * Streams the entries of an LDIF file (RFC 2849) as ldifde or `ldapsearch -LLL` write it: folded
 * lines, base64 (`::`) values, comments, CRLF, a BOM, and UTF-16 from `ldifde -u`.
 * Works on bytes: a fold may fall inside base64 or a UTF-8 character, so lines are unfolded first.
 */
export async function* readLdifEntries(
  source: AsyncIterable<Buffer | string>,
  file: string,
  stats: LdifStats = { changeRecords: 0, searchResult: null },
): AsyncGenerator<DirectoryEntry> {
  let record: { dn: string; line: number; attributes: Map<string, (string | Buffer)[]>; change: boolean } | null = null;
  // Plain ldapsearch ends with a record of its own: "search: 2", "result: 0 Success" (then comments).
  let resultRecord = false;
  let referenceRecord = false;
  // Plain ldapsearch output opens with "# extended LDIF": such a dump must end with its result trailer.
  let extended = 0;
  const countReferral = (uri: string): void => {
    stats.referrals = (stats.referrals ?? 0) + 1;
    if (mayReferToUsers(uri)) stats.userReferrals = (stats.userReferrals ?? 0) + 1;
  };
  let logical: Buffer[] = [];
  let logicalLine = 0;
  let lineNumber = 0;

  const parseLogical = (): void => {
    if (logical.length === 0) return;
    const bytes = logical.length === 1 ? logical[0]! : Buffer.concat(logical);
    logical = [];
    if (bytes[0] === 0x23 /* # */) {
      const text = bytes.toString('utf8');
      const reference = REFERENCE_COMMENT.exec(text);
      if (reference) countReferral(reference[1]!);
      if (logicalLine <= 2 && /^#\s*extended LDIF\s*$/i.test(text)) extended = logicalLine;
      return;
    }
    if (record?.change) return;
    const colon = bytes.indexOf(0x3a);
    if (colon <= 0) throw new DataError('BAD_LDIF', `${file}:${logicalLine}: expected "attribute: value"`);
    const name = bytes.toString('latin1', 0, colon).trim();
    const key = name.split(';')[0]!.toLowerCase();
    const value = decodeValue(bytes, colon, key, file, logicalLine);
    if (record === null) {
      if (key === 'version') return;
      // Plain ldapsearch (no -L) writes a search reference as a record of its own: "ref: ldap://…".
      if (referenceRecord || (key === 'ref' && !resultRecord)) {
        referenceRecord = true;
        if (key === 'ref') countReferral(value.toString().trim());
        return;
      }
      if (resultRecord || key === 'search' || key === 'result') {
        resultRecord = true;
        // Anything but "result: 0 …" leaves the dump unproven: "result: banana" is no success.
        if (key === 'result' && (stats.searchResult === null || stats.searchResult.code === 0)) {
          const text = value.toString().trim();
          const match = /^(\d+)(?:\s+(.*))?$/.exec(text);
          stats.searchResult = match ? { code: Number(match[1]), text: (match[2] ?? '').trim(), line: logicalLine } : { code: null, text, line: logicalLine };
        }
        return;
      }
      if (key !== 'dn') throw new DataError('BAD_LDIF', `${file}:${logicalLine}: a record must start with "dn:"`);
      record = { dn: value.toString(), line: logicalLine, attributes: new Map(), change: false };
      return;
    }
    if (key === 'changetype') {
      record.change = value.toString().trim().toLowerCase() !== 'add';
      return;
    }
    const list = record.attributes.get(key);
    if (list) list.push(value);
    else record.attributes.set(key, [value]);
  };

  const endRecord = (): DirectoryEntry | null => {
    parseLogical();
    const done = record;
    record = null;
    resultRecord = false;
    referenceRecord = false;
    if (done === null) return null;
    if (done.change) {
      stats.changeRecords++;
      return null;
    }
    return { dn: done.dn, attributes: done.attributes };
  };

  let logicalBytes = 0;
  for await (const raw of lines(source, file)) {
    lineNumber++;
    if (raw.length === 0) {
      const entry = endRecord();
      if (entry) yield entry;
    } else if (raw[0] === 0x20 /* folded continuation */) {
      if (logical.length === 0) continue;
      logicalBytes += raw.length - 1;
      if (logicalBytes > MAX_LDIF_LINE_BYTES) throw tooLong(file, logicalLine);
      logical.push(raw.subarray(1));
    } else {
      parseLogical();
      logical = [raw];
      logicalBytes = raw.length;
      logicalLine = lineNumber;
    }
  }
  const last = endRecord();
  if (last) yield last;
  const result = stats.searchResult;
  if (extended > 0 && result === null) {
    throw new DataError('LDIF_INCOMPLETE', `${file}:${extended}: the dump is incomplete: it is plain ldapsearch output ("# extended LDIF") without its ` +
      '"result:" trailer, so it was cut short; make it again and keep ldapsearch\'s output as it wrote it');
  }
  if (result !== null && result.code === null) {
    throw new DataError('LDIF_INCOMPLETE', `${file}:${result.line}: the dump is incomplete: its trailer says "result: ${printable(result.text)}", ` +
      'not "result: 0 Success"; make the dump again and keep ldapsearch\'s output as it wrote it');
  }
  if (result !== null && result.code !== 0) {
    throw new DataError('LDIF_INCOMPLETE', `${file}:${result.line}: the dump is incomplete: ldapsearch ended with "result: ${result.code} ${printable(result.text)}"; ` +
      'make it again with paging (ldapsearch -E pr=500/noprompt) or without the size limit');
  }
}

/** A value quoted in a one-line message: control characters shown, not written. */
function printable(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text).slice(1, -1);
}

function decodeValue(bytes: Buffer, colon: number, key: string, file: string, line: number): string | Buffer {
  const marker = bytes[colon + 1];
  if (marker === 0x3c /* < */) {
    throw new DataError('BAD_LDIF', `${file}:${line}: values read from a URL (":<") are not supported; export without them`);
  }
  const base64 = marker === 0x3a;
  let start = colon + (base64 ? 2 : 1);
  while (bytes[start] === 0x20) start++;
  const raw = bytes.subarray(start);
  if (!base64) return raw.toString('utf8');
  const decoded = Buffer.from(raw.toString('latin1'), 'base64');
  return BINARY_ATTRIBUTE_KEYS.has(key) ? decoded : decoded.toString('utf8');
}

/**
 * The longest line, and the longest value folded over several lines, read: a user's largest
 * attributes (a photo, certificates) are far below it. Past it the file is refused, in linear time.
 */
export const MAX_LDIF_LINE_BYTES = 16 * 1024 * 1024;

function tooLong(file: string, line: number): DataError {
  return new DataError('BAD_LDIF', `${file}:${line}: a line (or folded value) longer than ${MAX_LDIF_LINE_BYTES / 1024 / 1024} MiB: not an LDIF dump of users`);
}

/**
 * Physical lines as bytes, without their CR/LF; a UTF-8 BOM dropped, UTF-16 transcoded to UTF-8.
 * A line's pieces are gathered and joined once, when its end arrives: a long line costs its length,
 * not its length times the chunks it spans.
 */
async function* lines(source: AsyncIterable<Buffer | string>, file: string): AsyncGenerator<Buffer> {
  let pieces: Buffer[] = [];
  let pending = 0;
  let line = 1;
  let decoder: TextDecoder | null | undefined;
  let head = Buffer.alloc(0);
  for await (const chunk of source) {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (decoder === undefined) {
      // The byte-order mark decides the encoding: wait for its 3 bytes.
      head = Buffer.concat([head, bytes]);
      if (head.length < 3) continue;
      bytes = head;
      decoder = utf16Decoder(bytes);
      if (decoder === null && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    if (decoder) bytes = Buffer.from(decoder.decode(bytes, { stream: true }));
    let from = 0;
    for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, from)) {
      const tail = bytes.subarray(from, at);
      if (pending + tail.length > MAX_LDIF_LINE_BYTES) throw tooLong(file, line);
      yield withoutCR(pieces.length === 0 ? tail : Buffer.concat([...pieces, tail]));
      pieces = [];
      pending = 0;
      line++;
      from = at + 1;
    }
    if (from < bytes.length) {
      pieces.push(Buffer.from(bytes.subarray(from)));
      pending += bytes.length - from;
      if (pending > MAX_LDIF_LINE_BYTES) throw tooLong(file, line);
    }
  }
  if (decoder === undefined && head.length > 0) pieces = [head];
  if (pieces.length > 0) yield withoutCR(Buffer.concat(pieces));
}

function utf16Decoder(bytes: Buffer): TextDecoder | null {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be');
  return null;
}

function withoutCR(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, -1) : line;
}
