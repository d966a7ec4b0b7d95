// The single executables' entry: what bin/duo-bridge does, without its top-level await (the bundle is CommonJS,
// the only format a Node SEA runs). In a SEA, process.argv[1] is the executable again, so the arguments start at 2.
import { main } from '../dist/cli/main.js';

// Node warns about the deprecated Buffer() (DEP0005) only when its caller is outside node_modules. Bundled, every
// dependency is (exceljs's zip libraries call it), so the executables would print a warning bin/duo-bridge never
// does. duo-bridge's own code never calls Buffer(): drop that one warning, and only it.
const emitWarning = process.emitWarning;
process.emitWarning = function emitWarningButDep0005(warning, ...rest) {
  const code = typeof rest[0] === 'object' && rest[0] !== null ? rest[0].code : rest[1];
  if (code === 'DEP0005') return;
  return emitWarning.call(process, warning, ...rest);
};

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
