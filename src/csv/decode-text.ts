import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

/** What the decoder noticed about the bytes; filled in as the text streams through. */
export interface EncodingReport {
  /** A NUL byte near the start of a UTF-8 file: not a text file at all. */
  binaryAtLine: number | null;
  /** First physical line holding bytes that are not UTF-8, and how many lines do. */
  invalidUtf8: { firstLine: number; lines: number } | null;
  /** The file's encoding, when its BOM says UTF-16. */
  utf16?: 'UTF-16LE' | 'UTF-16BE';
}

const BINARY_SNIFF_BYTES = 8192;
const REPLACEMENT = '\uFFFD';
const LF = 0x0a;
const CR = 0x0d;

/**
 * Bytes → UTF-8 bytes with every line end turned into `\n`, in chunks that never split a character.
 *
 * csv-parse counts a CRLF inside a quoted value as two lines and locks onto the first record
 * delimiter it sees, so line ends are normalised here, before parsing; after that its line counter
 * is exact. Invalid UTF-8 would otherwise be replaced silently, so it is detected here too (and
 * replaced by U+FFFD). UTF-8 input, the usual case, is checked and passed on as bytes: csv-parse
 * works on bytes, and decoding to a string first only to have it encoded again cost a fifth of
 * validate's time.
 */
export async function* decodeToUtf8(source: AsyncIterable<Buffer | string>, report: EncodingReport): AsyncGenerator<Buffer> {
  let utf16: TextDecoder | null = null;
  let opened = false;
  let carry: Buffer = Buffer.alloc(0);
  let pendingCR = false;
  let line = 1;
  let lastInvalidLine = 0;

  const emit = (bytes: Buffer): Buffer => {
    let out = pendingCR ? Buffer.concat([Buffer.from([CR]), bytes]) : bytes;
    pendingCR = out.length > 0 && out[out.length - 1] === CR;
    if (pendingCR) out = out.subarray(0, out.length - 1);
    out = normaliseLineEnds(out);
    line += countNewlines(out);
    return out;
  };

  for await (const raw of source) {
    let bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
    if (!opened) {
      opened = true;
      ({ utf16, bytes } = openDecoder(bytes));
      if (utf16 !== null) report.utf16 = utf16.encoding === 'utf-16be' ? 'UTF-16BE' : 'UTF-16LE';
      if (utf16 === null && bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
        report.binaryAtLine = countNewlines(bytes.subarray(0, bytes.indexOf(0))) + 1;
        return;
      }
    }
    if (utf16 !== null) {
      const text = utf16.decode(bytes, { stream: true });
      // A lone surrogate (or a cut-off code unit) decodes to U+FFFD: the same damage as bad UTF-8, said the same way.
      if (text.includes(REPLACEMENT)) lastInvalidLine = noteInvalidLines((pendingCR ? '\r' : '') + text, line, lastInvalidLine, report);
      if (text.length > 0) yield emit(Buffer.from(text, 'utf8'));
      continue;
    }
    const joined: Buffer = carry.length > 0 ? Buffer.concat([carry, bytes]) : bytes;
    const end = completeCharacters(joined);
    carry = Buffer.from(joined.subarray(end));
    const whole = joined.subarray(0, end);
    if (whole.length === 0) continue;
    if (isUtf8(whole)) yield emit(whole);
    else {
      const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(whole);
      // A CR held back from the last chunk ends a line before this text.
      lastInvalidLine = noteInvalidLines((pendingCR ? '\r' : '') + text, line, lastInvalidLine, report);
      yield emit(Buffer.from(text, 'utf8'));
    }
  }
  let tail = '';
  if (utf16 !== null) {
    tail = utf16.decode();
    if (tail.includes(REPLACEMENT)) noteInvalidLines(tail, line, lastInvalidLine, report);
  }
  else if (carry.length > 0) {
    // A character cut off by the end of the file.
    tail = new TextDecoder('utf-8', { ignoreBOM: true }).decode(carry);
    noteInvalidLines(tail, line, lastInvalidLine, report);
  }
  const last = emit(Buffer.from(tail, 'utf8'));
  if (pendingCR) yield Buffer.concat([last, Buffer.from([LF])]);
  else if (last.length > 0) yield last;
}

function openDecoder(bytes: Buffer): { utf16: TextDecoder | null; bytes: Buffer } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { utf16: null, bytes: bytes.subarray(3) };
  // Excel's "Unicode Text" is UTF-16LE with a BOM.
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { utf16: new TextDecoder('utf-16le', { ignoreBOM: true }), bytes: bytes.subarray(2) };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { utf16: new TextDecoder('utf-16be', { ignoreBOM: true }), bytes: bytes.subarray(2) };
  return { utf16: null, bytes };
}

/** Where the last complete UTF-8 character ends: a multi-byte character cut off at the end waits for the next chunk. */
function completeCharacters(bytes: Buffer): number {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? bytes.length - back : bytes.length;
  }
  return bytes.length;
}

/** CRLF and lone CR → LF (the caller holds back a CR at the end of a chunk). */
function normaliseLineEnds(bytes: Buffer): Buffer {
  let at = bytes.indexOf(CR);
  if (at === -1) return bytes;
  const out = Buffer.allocUnsafe(bytes.length);
  let written = 0;
  let from = 0;
  for (; at !== -1; at = bytes.indexOf(CR, from)) {
    written += bytes.copy(out, written, from, at);
    out[written++] = LF;
    from = bytes[at + 1] === LF ? at + 2 : at + 1;
  }
  written += bytes.copy(out, written, from);
  return out.subarray(0, written);
}

function noteInvalidLines(text: string, firstLine: number, lastInvalidLine: number, report: EncodingReport): number {
  let line = firstLine;
  let scanned = 0;
  for (let at = text.indexOf(REPLACEMENT); at !== -1; at = text.indexOf(REPLACEMENT, at + 1)) {
    for (let nl = text.indexOf('\n', scanned); nl !== -1 && nl < at; nl = text.indexOf('\n', nl + 1)) line++;
    // A CR also ends a line here: the text is not normalised yet.
    for (let cr = text.indexOf('\r', scanned); cr !== -1 && cr < at; cr = text.indexOf('\r', cr + 1)) if (text[cr + 1] !== '\n') line++;
    scanned = at;
    if (line === lastInvalidLine) continue;
    lastInvalidLine = line;
    if (report.invalidUtf8 === null) report.invalidUtf8 = { firstLine: line, lines: 1 };
    else report.invalidUtf8.lines++;
  }
  return lastInvalidLine;
}

function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(LF); at !== -1; at = bytes.indexOf(LF, at + 1)) count++;
  return count;
}
