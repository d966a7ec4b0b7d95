// The single executables' entry: what bin/duo-bridge does, without its top-level await (the bundle is CommonJS,
// the only format a Node SEA runs). In a SEA, process.argv[1] is the executable again, so the arguments start at 2.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
