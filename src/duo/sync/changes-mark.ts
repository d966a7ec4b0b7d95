import { stat, unlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { writeJsonAtomically } from '../../atomic-file.js';
import type { DirectoryOptions } from '../../ad/export-options.js';
import { lazyValidator } from '../../lazy-validator.js';
import { INSTANT, readRegularFile, syncAjv } from './sync-files.js';

/**
 * Where `sync --changes-only` resumes: the DirSync cookie and the DC it belongs to, kept beside the
 * state (`<state>.changes.json`) so that a quiet run reads this small file and nothing else. It is
 * bound to the state it was written with (size and mtime): a state written by anything else (a
 * plain run, an admin) makes the next run read in full, as does a missing or damaged mark.
 */
export interface ChangesMark {
  readonly version: 1;
  readonly host: string;
  /** The source and mapping the cookie's changes are read for (sourceKey). */
  readonly source_key: string;
  readonly dc: string;
  readonly invocation_id: string;
  readonly cookie: string;
  /** The last complete full read (deletions and drift in Duo are found there). */
  readonly full_read_at: string;
  /** Why the next run must read in full whatever the cookie (a hold waiting for approval), or null. */
  readonly full_next: string | null;
  /** The DNs of managed users whose actions failed: read again by the next run. */
  readonly retry: readonly string[];
  /** The state file this mark goes with. */
  readonly state: { readonly size: number; readonly mtime_ms: number };
  /** For a quiet run's summary: the last full read's sizes. */
  readonly ad_users: number;
  readonly managed: number;
}

export function changesMarkPath(statePath: string): string {
  return `${statePath.replace(/\.json$/, '')}.changes.json`;
}

/** What a cookie's changes are read for: the base, the selection, the mapping and the mapped groups. */
export function sourceKey(directory: DirectoryOptions): string {
  const { source, selection, mapping, duoGroups } = directory;
  const where = source.kind === 'ldap' ? source.base.toLowerCase() : '';
  return createHash('sha256').update(JSON.stringify([where, selection, mapping, duoGroups])).digest('hex').slice(0, 16);
}

/** The mark, or null when there is none or it can't be trusted (a full read follows, which writes a new one). */
export async function readChangesMark(path: string): Promise<ChangesMark | null> {
  let text: string | null;
  try {
    text = await readRegularFile(path, 'sync changes mark');
  } catch {
    return null;
  }
  if (text === null) return null;
  try {
    const data: unknown = JSON.parse(text);
    return validateMark(data) ? (data as unknown as ChangesMark) : null;
  } catch {
    return null;
  }
}

export async function writeChangesMark(path: string, mark: Omit<ChangesMark, 'state'>, statePath: string): Promise<void> {
  const { size, mtimeMs } = await stat(statePath);
  await writeJsonAtomically(path, { ...mark, state: { size, mtime_ms: mtimeMs } });
}

export async function dropChangesMark(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** The state is the one the mark was written with. */
export async function markMatchesState(mark: ChangesMark, statePath: string): Promise<boolean> {
  const info = await stat(statePath).catch(() => null);
  return info !== null && info.size === mark.state.size && info.mtimeMs === mark.state.mtime_ms;
}

const text = { type: 'string' } as const;
const validateMark = lazyValidator(() => syncAjv().compile({
  type: 'object',
  required: ['version', 'host', 'source_key', 'dc', 'invocation_id', 'cookie', 'full_read_at', 'full_next', 'retry', 'state', 'ad_users', 'managed'],
  properties: {
    version: { const: 1 }, host: text, source_key: text, dc: text, invocation_id: text, cookie: { type: 'string', pattern: '^[A-Za-z0-9+/=]*$' },
    full_read_at: INSTANT, full_next: { type: ['string', 'null'] }, retry: { type: 'array', items: text },
    state: { type: 'object', required: ['size', 'mtime_ms'], properties: { size: { type: 'number' }, mtime_ms: { type: 'number' } }, additionalProperties: false },
    ad_users: { type: 'integer', minimum: 0 }, managed: { type: 'integer', minimum: 0 },
  },
  additionalProperties: false,
}));
