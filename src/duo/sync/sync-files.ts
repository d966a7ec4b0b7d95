import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { Ajv } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { UsageError } from '../../errors.js';
import { describeFsError } from '../../input-file.js';

/**
 * Reads a file the sync takes as input (the state, a saved plan, a run's plan or held file) as
 * UTF-8 text, a leading BOM stripped (Notepad adds one when an admin saves the file).
 *
 * Only a regular file is read. The file is opened non-blocking and checked on the open handle, not
 * by a stat before the open: opening a named pipe for reading blocks until a writer comes (the run
 * would hang), a device such as /dev/zero never ends, and a check before the open could be raced.
 * With `noFollow`, a symlink is refused too (files the sync wrote itself are never links).
 *
 * Returns null when there is no file. Throws UsageError (exit 2) naming `what` and the path when the
 * path is a directory, pipe, socket, device or (noFollow) a link, or cannot be read.
 */
export async function readRegularFile(path: string, what: string, options: { noFollow?: boolean } = {}): Promise<string | null> {
  const bytes = await readRegularBytes(path, what, options);
  if (bytes === null) return null;
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** readRegularFile's bytes, as they are on disk (no BOM stripped): for a digest of the file. */
export async function readRegularBytes(path: string, what: string, options: { noFollow?: boolean } = {}): Promise<Buffer | null> {
  const handle = await openRegular(path, what, options);
  if (handle === null) return null;
  try {
    return await handle.readFile();
  } catch (error) {
    throw new UsageError('INPUT_UNREADABLE', `${what} ${path}: ${describeFsError(error)}`, { cause: error });
  } finally {
    await handle.close();
  }
}

/**
 * Opens a regular file for reading only, as readRegularFile does (non-blocking, checked on the
 * handle, optionally never through a link). Null: no file. The caller closes the handle.
 */
export async function openRegular(path: string, what: string, options: { noFollow?: boolean } = {}): Promise<FileHandle | null> {
  // O_NONBLOCK makes the open of a FIFO return at once; on a regular file it changes nothing.
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0);
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    // O_NOFOLLOW on a link fails with ELOOP (Linux) or EMLINK (some BSDs).
    if (code === 'ELOOP' || code === 'EMLINK') throw new UsageError('INPUT_UNREADABLE', `${what} ${path}: is a symbolic link, not a file the sync wrote`);
    throw new UsageError('INPUT_UNREADABLE', `${what} ${path}: ${describeFsError(error)}`, { cause: error });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new UsageError('INPUT_UNREADABLE', `${what} ${path}: is ${kindOf(info)}, not a regular file`);
    return handle;
  } catch (error) {
    await handle.close();
    if (error instanceof UsageError) throw error;
    throw new UsageError('INPUT_UNREADABLE', `${what} ${path}: ${describeFsError(error)}`, { cause: error });
  }
}

/** What a non-regular file is, in words for a message. */
export function kindOf(info: { isFile(): boolean; isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSymbolicLink(): boolean }): string {
  if (info.isFile()) return 'a file';
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a named pipe';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSymbolicLink()) return 'a symbolic link';
  return 'something else';
}

const rfc3339 = fullFormats['date-time'] as { validate: (value: string) => boolean };

/**
 * An Ajv for the sync's file schemas: strict, first error only, with the format `instant`: an
 * RFC 3339 date-time with its zone (ajv-formats' `date-time`, calendar ranges checked, so no
 * 30 February) that JavaScript can also compute with. A leap second (23:59:60) passes `date-time`
 * but Date.parse gives NaN, and a time the ladder cannot compute with silently stops it.
 */
export function syncAjv(): Ajv {
  const ajv = new Ajv({ allErrors: false, strict: true, discriminator: true });
  ajv.addFormat('instant', { type: 'string', validate: (value: string) => rfc3339.validate(value) && !Number.isNaN(Date.parse(value)) });
  return ajv;
}

/** The schema of every time the sync records (ISO 8601 with a zone, as toISOString writes it). */
export const INSTANT = { type: 'string', format: 'instant' } as const;
