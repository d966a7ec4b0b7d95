// One CommonJS file holding the CLI and everything it loads (exceljs, yauzl and the lazily compiled
// schemas included), for a Node single executable application (issue 31). esbuild: the ecosystem's
// bundler, one dependency, deterministic output for the same input.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Bundles dist/ (run `npm run build` first) into `outfile`. The version is built in: yargs' bare
 * .version() and src/version.ts read package.json from disk, which an executable has not beside it.
 */
export async function bundle({ version, outfile }) {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['packaging/sea-entry.mjs'],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    define: {
      DUO_BRIDGE_BUILD_VERSION: JSON.stringify(version),
      // yargs and yargs-parser call createRequire(import.meta.url), which CommonJS has not.
      'import.meta.url': '__duoBridgeModuleUrl',
    },
    banner: { js: 'const __duoBridgeModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
  });
  if (result.errors.length > 0 || result.warnings.length > 0) throw new Error(`esbuild: ${result.errors.length} errors, ${result.warnings.length} warnings`);
  return result;
}
