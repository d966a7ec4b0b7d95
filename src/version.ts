import { readFileSync } from 'node:fs';

/**
 * Set by the bundler of the single executables (packaging/bundle.mjs, esbuild `define`): an
 * executable has no package.json beside it to read.
 */
declare const DUO_BRIDGE_BUILD_VERSION: string | undefined;

/** duo-bridge's version: the one built in, else its package.json (one directory above both src/ and dist/). */
export const VERSION: string = typeof DUO_BRIDGE_BUILD_VERSION === 'string'
  ? DUO_BRIDGE_BUILD_VERSION
  : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
