import { createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
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
    // On disk before the name points at it: a crash never leaves a complete-looking empty file.
    await syncFile(temp);
    await rename(temp, path).catch((error: unknown) => {
      throw new UsageError('OUTPUT_UNWRITABLE', `${path}: ${describeFsError(error)}`, { cause: error });
    });
  } catch (error) {
    out.destroy();
    await rm(temp, { force: true });
    throw error;
  }
}

/** A value as indented JSON, written as writeFileAtomically writes. */
export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await writeFileAtomically(path, async (out) => {
    out.write(JSON.stringify(value, null, 1) + '\n');
  });
}

/**
 * Checked before a command does its work: an output that cannot be written (a directory in the
 * way, a missing folder) is a usage error now, not after a long export.
 */
export async function checkOutputPath(path: string, option: string): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (info?.isDirectory()) throw new UsageError('OUTPUT_UNWRITABLE', `${option} ${path}: is a directory; name the file to write`);
  const folder = await stat(dirname(path)).catch(() => null);
  if (folder === null) throw new UsageError('OUTPUT_UNWRITABLE', `${option} ${path}: the folder ${dirname(path)} does not exist`);
  if (!folder.isDirectory()) throw new UsageError('OUTPUT_UNWRITABLE', `${option} ${path}: ${dirname(path)} is a file, not a folder`);
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a chunk, waiting when the stream asks for it (backpressure). */
export async function writeChunk(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve));
}
