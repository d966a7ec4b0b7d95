// Preloaded (node --import) into a duo-bridge run under test: counts every open of the file named by
// $DUO_BRIDGE_COUNT_OPENS, through each of fs's ways to open a path (fs.open, fs.openSync,
// fs/promises open: what createReadStream, yauzl and exceljs call, as strace sees them), and writes the
// count to $DUO_BRIDGE_COUNT_FILE as the process exits.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const watched = resolve(process.env.DUO_BRIDGE_COUNT_OPENS ?? '');
let opens = 0;

function count(path) {
  const named = path instanceof URL ? fileURLToPath(path) : Buffer.isBuffer(path) ? path.toString() : path;
  if (typeof named === 'string' && resolve(named) === watched) opens++;
}

for (const [owner, name] of [[fs, 'open'], [fs, 'openSync'], [fs.promises, 'open']]) {
  const original = owner[name];
  owner[name] = function (path, ...rest) {
    count(path);
    return original.call(this, path, ...rest);
  };
}
// ES modules importing { open } from node:fs/promises see the counting one too.
syncBuiltinESMExports();

process.on('exit', () => {
  if (process.env.DUO_BRIDGE_COUNT_FILE) fs.writeFileSync(process.env.DUO_BRIDGE_COUNT_FILE, String(opens));
});
