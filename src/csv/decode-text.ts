import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';

/** What the decoder noticed about the bytes; filled in as the text streams through. */
export interface EncodingReport {
  /** A NUL byte near the start of a UTF-8 file: not a text file at all. */
  binaryAtLine: number | null;
  /** First physical line holding bytes that are not UTF-8, and how many lines do. */
  invalidUtf8: { firstLine: number; lines: number } | null;
}

const BINARY_SNIFF_BYTES = 8192;
const REPLACEMENT = '\uFFFD';

/**
 * Bytes → text with every line end turned into `\n`.
 *
 * csv-parse counts a CRLF inside a quoted value as two lines and locks onto the first record
 * delimiter it sees, so line ends are normalised here, before parsing; after that its line counter
 * is exact. Invalid UTF-8 would otherwise be replaced silently, so it is detected here too.
 */
export async function* decodeText(
  source: AsyncIterable<Buffer | string>,
  report: EncodingReport,
): AsyncGenerator<string> {
  let decoder: TextDecoder | null = null;
  let checkUtf8 = false;
  let pendingCR = false;
  let line = 1;
  let lastInvalidLine = 0;

  for await (const raw of source) {
    let bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
    if (decoder === null) {
      ({ decoder, checkUtf8, bytes } = openDecoder(bytes));
      if (checkUtf8 && bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
        report.binaryAtLine = countNewlines(bytes.subarray(0, bytes.indexOf(0)).toString('latin1')) + 1;
        return;
      }
    }
    const valid = !checkUtf8 || isUtf8WithCarry(bytes);
    let text = decoder.decode(bytes, { stream: true });
    if (pendingCR) text = '\r' + text;
    pendingCR = text.endsWith('\r');
    if (pendingCR) text = text.slice(0, -1);
    if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
    if (!valid) lastInvalidLine = noteInvalidLines(text, line, lastInvalidLine, report);
    line += countNewlines(text);
    if (text.length > 0) yield text;
  }
  if (decoder === null) return;
  let tail = decoder.decode();
  if (tail.includes(REPLACEMENT) && checkUtf8) noteInvalidLines(tail, line, lastInvalidLine, report);
  if (pendingCR) tail = '\n' + tail;
  if (tail.length > 0) yield tail.replace(/\r\n?/g, '\n');
}

function openDecoder(bytes: Buffer): { decoder: TextDecoder; checkUtf8: boolean; bytes: Buffer } {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { decoder: new TextDecoder('utf-8', { ignoreBOM: true }), checkUtf8: true, bytes: bytes.subarray(3) };
  }
  // Excel's "Unicode Text" is UTF-16LE with a BOM.
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { decoder: new TextDecoder('utf-16le', { ignoreBOM: true }), checkUtf8: false, bytes: bytes.subarray(2) };
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { decoder: new TextDecoder('utf-16be', { ignoreBOM: true }), checkUtf8: false, bytes: bytes.subarray(2) };
  }
  return { decoder: new TextDecoder('utf-8', { ignoreBOM: true }), checkUtf8: true, bytes };
}

/** isUtf8() on a chunk, ignoring a multi-byte character cut off at its end (the decoder carries it over). */
function isUtf8WithCarry(bytes: Buffer): boolean {
  if (isUtf8(bytes)) return true;
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) !== 0x80) {
      const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
      return needed > back && isUtf8(bytes.subarray(0, bytes.length - back));
    }
  }
  return false;
}

function noteInvalidLines(text: string, firstLine: number, lastInvalidLine: number, report: EncodingReport): number {
  let line = firstLine;
  let scanned = 0;
  for (let at = text.indexOf(REPLACEMENT); at !== -1; at = text.indexOf(REPLACEMENT, at + 1)) {
    line += countNewlines(text.slice(scanned, at));
    scanned = at;
    if (line === lastInvalidLine) continue;
    lastInvalidLine = line;
    if (report.invalidUtf8 === null) report.invalidUtf8 = { firstLine: line, lines: 1 };
    else report.invalidUtf8.lines++;
  }
  return lastInvalidLine;
}

function countNewlines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) count++;
  return count;
}
