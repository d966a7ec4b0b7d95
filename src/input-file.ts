import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { UsageError } from './errors.js';

/** Opens a file the user named, turning "not there / not a file / not readable" into one clear UsageError. */
export async function openInputFile(path: string): Promise<AsyncIterable<Buffer>> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new UsageError('INPUT_UNREADABLE', `${path}: ${describeFsError(error)}`, { cause: error });
  }
  if (info.isDirectory()) throw new UsageError('INPUT_UNREADABLE', `${path}: is a directory, not a file`);
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
