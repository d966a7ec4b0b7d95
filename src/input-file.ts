import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { UsageError } from './errors.js';

/**
 * A file the user named as input: it must exist and be a regular file. A directory, and a named
 * pipe, socket or device (opening a FIFO blocks until someone writes to it; /dev/zero never ends)
 * are refused at once with one clear UsageError (exit 2).
 */
export async function regularFile(path: string, what = 'input'): Promise<Stats> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (error) {
    throw new UsageError('INPUT_UNREADABLE', `${path}: ${describeFsError(error)}`, { cause: error });
  }
  if (info.isDirectory()) throw new UsageError('INPUT_UNREADABLE', `${path}: is a directory, not a file`);
  if (!info.isFile()) {
    const kind = info.isFIFO() ? 'a named pipe' : info.isSocket() ? 'a socket' : info.isCharacterDevice() || info.isBlockDevice() ? 'a device' : 'something else';
    throw new UsageError('INPUT_UNREADABLE', `${path}: is ${kind}, not a regular file: give the ${what} as a file`);
  }
  return info;
}

/** Opens a file the user named, turning "not there / not a file / not readable" into one clear UsageError. */
export async function openInputFile(path: string): Promise<AsyncIterable<Buffer>> {
  await regularFile(path);
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new UsageError('INPUT_UNREADABLE', `${path}: ${describeFsError(error)}`, { cause: error })));
  });
  return stream;
}

export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EEXIST':
      return 'a file is in the way (a directory was expected)';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    default:
      return (error as Error).message;
  }
}

/** A file's sha256 (hex), read as a stream. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
