// The MSI (issue 31), built on Linux with msitools: wixl from duo-bridge.wxs, then msibuild SQL for what
// Debian 12's wixl 0.101 cannot say (it aborts on <Environment>): the system PATH entry, and the two standard
// actions that apply the Environment table (without them Windows Installer ignores it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './bundle.mjs';

export const UPGRADE_CODE = '89B36676-D316-480F-952D-BA353B1B4DD4';
export const TEMPLATES = ['duo-bridge-sync.task.xml', 'duo-bridge-sync-status.task.xml', 'sync.config.json', 'sync.config.windows.json', 'export.config.json', 'users.csv'];

/** The ProductCode: a name-based (RFC 9562 version 5) UUID of the version, so a rebuild keeps it and each version has its own. */
export function productCode(version) {
  const namespace = Buffer.from(UPGRADE_CODE.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(Buffer.concat([namespace, Buffer.from(`duo-bridge ${version}`, 'utf8')])).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** MSI's ProductVersion is major.minor.build, numbers only: 0.1.0-rc.1 installs as 0.1.0. */
function msiVersion(version) {
  return version.split(/[-+]/)[0];
}

const SQL = [
  'CREATE TABLE `Environment` (`Environment` CHAR(72) NOT NULL, `Name` CHAR(255) NOT NULL LOCALIZABLE, `Value` CHAR(255) LOCALIZABLE, ' +
    '`Component_` CHAR(72) NOT NULL PRIMARY KEY `Environment`)',
  // "=-*": set on install, removed on uninstall, in the system environment; "[~];" appends to what PATH holds.
  "INSERT INTO `Environment` (`Environment`, `Name`, `Value`, `Component_`) VALUES ('PathEntry', '=-*PATH', '[~];[INSTALLDIR]', 'Executable')",
  // The standard sequence numbers of the two actions.
  "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('RemoveEnvironmentStrings', 3300)",
  "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('WriteEnvironmentStrings', 5200)",
];

/** Builds `out` from the Windows executable `exe`; `workDir` is scratch space. */
export function buildMsi({ version, exe, out, workDir }) {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(join(workDir, 'templates'), { recursive: true });
  // wixl takes sources relative to where it runs: stage them under the names the MSI installs.
  copyFileSync(exe, join(workDir, 'duo-bridge.exe'));
  for (const name of TEMPLATES) copyFileSync(join(ROOT, 'templates', name), join(workDir, 'templates', name));
  rmSync(out, { force: true });
  execFileSync('wixl', ['-a', 'x64', '-D', `ProductCode=${productCode(version)}`, '-D', `Version=${msiVersion(version)}`,
    '-o', out, join(ROOT, 'packaging', 'duo-bridge.wxs')], { cwd: workDir, stdio: ['ignore', 'inherit', 'inherit'] });
  for (const query of SQL) execFileSync('msibuild', [out, '-q', query], { stdio: ['ignore', 'inherit', 'inherit'] });
}
