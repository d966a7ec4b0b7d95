import type { Readable } from 'node:stream';
import type yauzl from 'yauzl';
import type { InputFile } from '../input-file.js';

/** The most one part of a workbook may inflate to: a 1,000,000-row sheet of users is about 300 MiB. */
export const MAX_PART_BYTES = 512 * 1024 * 1024;
/** Shared strings are held while the sheet is read: they get a smaller budget than a streamed sheet. */
export const MAX_SHARED_STRINGS_BYTES = 128 * 1024 * 1024;
/** Above this size, a part that inflates more than MAX_RATIO times its compressed size is a zip bomb, not data. */
const RATIO_FLOOR_BYTES = 16 * 1024 * 1024;
const MAX_RATIO = 200;
const TAIL_BYTES = 256;

/** Parts whose XML must end with their closing root tag: one cut short is damage, not a shorter list. */
const COMPLETE: readonly (readonly [RegExp, string])[] = [
  [/^xl\/worksheets\/[^/]+\.xml$/, 'worksheet'],
  [/^xl\/sharedStrings\.xml$/, 'sst'],
];

/**
 * Checks a workbook's zip before exceljs reads it, with yauzl (which verifies each part's declared
 * size against what it inflates to): every part within its size budget and not a zip bomb, every
 * worksheet and the shared strings complete. exceljs's streaming reader trusts all of this: a
 * 3 MB file of repeated shared strings took 1.4 GB, a sheet cut in half read as a shorter list.
 * Returns what is wrong (naming the part), or null. Read on the workbook's one open, which stays open.
 */
export async function workbookProblem(file: InputFile): Promise<string | null> {
  const zip = await openZip(file).catch((error: Error) => error);
  if (zip instanceof Error) return `not a zip archive (${zip.message})`;
  try {
    for await (const entry of entries(zip)) {
      const budget = entry.fileName === 'xl/sharedStrings.xml' ? MAX_SHARED_STRINGS_BYTES : MAX_PART_BYTES;
      if (entry.uncompressedSize > budget) return `part ${entry.fileName} inflates to ${mib(entry.uncompressedSize)} MiB, more than the ${mib(budget)} MiB read here`;
      if (entry.uncompressedSize > RATIO_FLOOR_BYTES && entry.uncompressedSize > MAX_RATIO * Math.max(1, entry.compressedSize)) {
        return `part ${entry.fileName} inflates ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))} times its size (a zip bomb?)`;
      }
      const root = COMPLETE.find(([name]) => name.test(entry.fileName))?.[1];
      if (root === undefined) continue;
      const tail = await lastBytes(zip, entry).catch((error: Error) => error);
      if (tail instanceof Error) return `part ${entry.fileName} is damaged (${tail.message})`;
      if (!new RegExp(`</(?:\\w+:)?${root}>\\s*$`).test(tail)) return `part ${entry.fileName} ends before its closing </${root}>: the workbook was cut short`;
    }
    return null;
  } catch (error) {
    return `damaged zip (${(error as Error).message})`;
  } finally {
    zip.close();
  }
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(0);
}

async function openZip(file: InputFile): Promise<yauzl.ZipFile> {
  // Loaded with the first workbook: commands that read none do not carry it.
  const { default: zipReader } = await import('yauzl');
  // Ranges read on the caller's open of the file: yauzl's own fd reader would close it with the zip.
  class OpenFileReader extends zipReader.RandomAccessReader {
    override _readStreamForRange(start: number, end: number): Readable {
      return file.range(start, end);
    }
  }
  const size = await file.size();
  return new Promise((resolve, reject) => {
    zipReader.fromRandomAccessReader(new OpenFileReader(), size, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (error, zip) => (error ? reject(error) : resolve(zip!)));
  });
}

async function* entries(zip: yauzl.ZipFile): AsyncGenerator<yauzl.Entry> {
  for (;;) {
    const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
      const cleanup = (): void => void zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
      zip.once('entry', (e: yauzl.Entry) => (cleanup(), resolve(e)));
      zip.once('end', () => (cleanup(), resolve(null)));
      zip.once('error', (error: Error) => (cleanup(), reject(error)));
      zip.readEntry();
    });
    if (entry === null) return;
    yield entry;
  }
}

/** The part inflated and streamed through, keeping only its last bytes: memory stays flat. */
async function lastBytes(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<string> {
  const stream = await new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (error, s) => (error ? reject(error) : resolve(s!))));
  let tail = Buffer.alloc(0);
  for await (const chunk of stream) {
    const joined = Buffer.concat([tail, chunk as Buffer]);
    tail = joined.subarray(Math.max(0, joined.length - TAIL_BYTES));
  }
  return tail.toString('utf8');
}
