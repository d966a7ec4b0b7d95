import { fileSha256 } from '../input-file.js';
import { ranBy } from '../ran-by.js';
import { VERSION } from '../version.js';

/** What the run is, as the top of a report says it. */
export interface RunInfo {
  /** The command line, without the program's name (never a secret: those come from the environment). */
  readonly command: string;
  /** The Duo host, when the run read or wrote one. */
  readonly host: string | null;
  /** Files the run read, by role (e.g. "CSV", "snapshot"): named with their sha256 (taken here unless given). */
  readonly inputs: readonly (readonly [label: string, path: string, sha256?: string])[];
  readonly at?: Date;
}

/** The facts every report starts with: command, tenant, then `more`, then the input files with their sha256, the time and the version. */
export async function runFacts(run: RunInfo, more: readonly (readonly [string, string])[] = []): Promise<[string, string][]> {
  const facts: [string, string][] = [['command', `duo-bridge ${run.command}`]];
  if (run.host !== null) facts.push(['Duo tenant', run.host]);
  facts.push(...more.map(([label, value]): [string, string] => [label, value]));
  for (const [label, path, sha256] of run.inputs) facts.push([label, `${path} (sha256 ${sha256 ?? (await fileSha256(path))})`]);
  const by = ranBy();
  facts.push(['run by', `${by.account} on ${by.machine}`], ['made at', (run.at ?? new Date()).toISOString()], ['duo-bridge version', VERSION]);
  return facts;
}
