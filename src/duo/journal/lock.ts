import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { InUseError, UsageError } from '../../errors.js';
import { describeFsError } from '../../input-file.js';

export interface FileLock {
  release(): Promise<void>;
}

/**
 * `<path>.lock` holding our pid: two runs on one journal would both act on the same rows, so the
 * second is refused with the holder's pid. A lock whose process is gone (kill -9) is taken over at
 * once. Taking over goes through a second file, `<path>.lock.takeover`, created exclusively: of two
 * processes that both find the same dead holder, only one replaces its lock; the other then finds
 * a live holder and is refused.
 */
export async function lockFile(path: string, what: string): Promise<FileLock> {
  const lockPath = `${path}.lock`;
  const takeoverPath = `${lockPath}.takeover`;
  const locked = (pid: number): UsageError => new InUseError('JOURNAL_LOCKED', `${what} ${path} is in use by another duo-bridge (pid ${pid})`);
  const release = { release: () => rm(lockPath, { force: true }) };

  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createExclusive(lockPath, path, what)) return release;
    const holder = await readPid(lockPath);
    if (holder !== null && isAlive(holder)) throw locked(holder);

    if (!(await createExclusive(takeoverPath, path, what))) {
      const taker = await readPid(takeoverPath);
      if (taker !== null && isAlive(taker)) throw locked(taker);
      // The taker died in the middle of a takeover: clear it and start again.
      await rm(takeoverPath, { force: true });
      continue;
    }
    try {
      // Still the dead holder we saw (or nobody)? Then nobody else replaced it meanwhile.
      const now = await readPid(lockPath);
      if (now !== holder) {
        if (now !== null && isAlive(now)) throw locked(now);
        continue;
      }
      await rm(lockPath, { force: true });
      if (await createExclusive(lockPath, path, what)) return release;
    } finally {
      await rm(takeoverPath, { force: true });
    }
  }
  throw new UsageError('JOURNAL_LOCKED', `${what} ${path}: could not take ${lockPath}; if no duo-bridge is running, delete it`);
}

/** Creates `lockPath` holding our pid, or returns false if it exists. Never seen empty: written aside, then linked. */
async function createExclusive(lockPath: string, path: string, what: string): Promise<boolean> {
  const aside = `${lockPath}.${process.pid}`;
  try {
    await writeFile(aside, String(process.pid));
    await link(aside, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new UsageError('JOURNAL_UNWRITABLE', `${what} ${path}: ${describeFsError(error)}`, { cause: error });
  } finally {
    await rm(aside, { force: true });
  }
}

async function readPid(lockPath: string): Promise<number | null> {
  const pid = Number(await readFile(lockPath, 'utf8').catch(() => ''));
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
