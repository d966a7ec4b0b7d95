#!/usr/bin/env node
// npm run package (issue 31): release/duo-bridge-<version>-win-x64.exe, -linux-x64, -x64.msi and SHA256SUMS.
// Needs osslsigncode and msitools (Debian); everything else comes from the npm registry (esbuild, postject, Node's
// own binaries). `--only linux` builds the Linux executable alone (no Debian tools needed).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'postject';
import { bundle, ROOT } from './bundle.mjs';
import { buildMsi } from './msi.mjs';
import { NODE_VERSION, nodeBinary } from './node-binaries.mjs';

// Node's SEA fuse: the string postject flips so that node looks for the injected blob.
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const release = join(ROOT, 'release');
const work = join(ROOT, '.cache', 'packaging');
const log = (line) => process.stderr.write(`package: ${line}\n`);

if (process.versions.node !== NODE_VERSION) {
  throw new Error(`run with Node ${NODE_VERSION}: a SEA blob only runs in the Node version that made it (this is ${process.versions.node})`);
}
mkdirSync(work, { recursive: true });
mkdirSync(release, { recursive: true });

const bundleFile = join(work, 'duo-bridge.cjs');
await bundle({ version, outfile: bundleFile });
log(`bundle ${(readFileSync(bundleFile).length / 1e6).toFixed(1)} MB, sha256 ${sha256(bundleFile).slice(0, 16)}…`);

// The blob holds the script only: no code cache, no snapshot (both are made for the platform that builds them).
const blob = join(work, 'sea.blob');
const seaConfig = join(work, 'sea-config.json');
// Paths relative to the work folder: the blob records the script's name, which must not depend on where the checkout is.
writeFileSync(seaConfig, JSON.stringify({ main: 'duo-bridge.cjs', output: 'sea.blob', disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false }));
execFileSync(process.execPath, ['--experimental-sea-config', 'sea-config.json'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
const blobData = readFileSync(blob);

const made = [];
if (only === null || only === 'linux') {
  const out = join(release, `duo-bridge-${version}-linux-x64`);
  rmSync(out, { force: true });
  copyFileSync(nodeBinary('linux-x64', work), out);
  chmodSync(out, 0o755);
  await inject(out, 'NODE_SEA_BLOB', blobData, { sentinelFuse: SEA_FUSE });
  made.push(out);
  log(`${out} (${size(out)})`);
}
if (only === null || only === 'windows') {
  const out = join(release, `duo-bridge-${version}-win-x64.exe`);
  rmSync(out, { force: true });
  // node.exe carries the OpenJS Foundation's Authenticode signature, which injecting would break: remove it first.
  execFileSync('osslsigncode', ['remove-signature', '-in', nodeBinary('win-x64', work), '-out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  await inject(out, 'NODE_SEA_BLOB', blobData, { sentinelFuse: SEA_FUSE });
  made.push(out);
  log(`${out} (${size(out)})`);
  const msi = join(release, `duo-bridge-${version}-x64.msi`);
  buildMsi({ version, exe: out, out: msi, workDir: join(work, 'msi') });
  made.push(msi);
  log(`${msi} (${size(msi)})`);
}

// SHA256SUMS covers every release file there is (a --only build keeps the others' lines current).
const files = readdirSync(release).filter((name) => name.startsWith(`duo-bridge-${version}-`)).sort();
writeFileSync(join(release, 'SHA256SUMS'), files.map((name) => `${sha256(join(release, name))}  ${name}\n`).join(''));
log(`${join(release, 'SHA256SUMS')} (${files.length} files)`);

function sha256(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function size(path) {
  return `${(readFileSync(path).length / 1e6).toFixed(1)} MB`;
}
