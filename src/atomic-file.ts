import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { UsageError } from './errors.js';
import { describeFsError } from './input-file.js';

/**
 * Writes a file so that it appears complete or not at all: into a temp file beside it, renamed on
 * success and removed on failure. `produce` writes to the stream; it must not end it.
 */
export async function writeFileAtomically(path: string, produce: (out: Writable) => Promise<void>): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const out = createWriteStream(temp, { flags: 'w' });
  const opened = new Promise<void>((resolve, reject) => {
    out.once('open', () => resolve());
    out.once('error', (error) => reject(new UsageError('OUTPUT_UNWRITABLE', `${path}: ${describeFsError(error)}`, { cause: error })));
  });
  try {
    await opened;
    await produce(out);
    out.end();
    await finished(out);
    await rename(temp, path);
  } catch (error) {
    out.destroy();
    await rm(temp, { force: true });
    throw error;
  }
}

/** Writes a chunk, waiting when the stream asks for it (backpressure). */
export async function writeChunk(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
}
