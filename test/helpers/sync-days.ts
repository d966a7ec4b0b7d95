import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeDuo } from '../fake-duo/fake-duo.js';
import { runCli } from './run-cli.js';
import { VPN, writeLdif, type LabUser } from './sync-ldif.js';
import { tmpFiles } from './tmp-files.js';

export const FAST = ['--rate', '100000', '--timeout', '5'];
export const DAY = 86_400_000;
const T0 = Date.parse('2026-11-02T06:00:00Z');

/** A directory synced day by day through the CLI: each sync is the next day on DUO_BRIDGE_SYNC_NOW's clock. */
export interface Lab {
  dir: string;
  ad: LabUser[];
  day: number;
  sync(args?: string[], options?: { ldif?: LabUser[]; raw?: string; env?: Record<string, string> }): ReturnType<typeof runCli>;
}

export function syncLab(fake: { readonly duo: FakeDuo }, users: LabUser[]): Lab {
  const dir = tmpFiles({});
  const l: Lab = {
    dir, ad: users, day: 0,
    sync: (args = [], options = {}) => {
      if (options.raw !== undefined) writeFileSync(join(dir, 'ad.ldif'), options.raw);
      else writeLdif(join(dir, 'ad.ldif'), options.ldif ?? l.ad);
      const at = new Date(T0 + l.day++ * DAY).toISOString();
      return runCli(['sync', '--from-ldif', join(dir, 'ad.ldif'), '--state', join(dir, 'sync.state.json'), '--duo-group', VPN, ...FAST, ...args],
        { env: { ...fake.duo.env(), DUO_BRIDGE_SYNC_NOW: at, ...options.env } });
    },
  };
  return l;
}
