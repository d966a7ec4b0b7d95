import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { REPO } from '../helpers/run-cli.js';

describe('the built package', () => {
  it('exports the library API from dist/index.js', async () => {
    expect(existsSync(`${REPO}dist/index.js`)).toBe(true);
    const api = await import(`${REPO}dist/index.js`);
    for (const name of ['validateCsv', 'exportUsers', 'applyImport', 'planRows', 'DuoClient', 'authorizationV5', 'UsageError', 'runSync', 'planSync', 'planReport', 'syncReport', 'writeHtmlReport']) {
      expect(typeof api[name]).toBe('function');
    }
  });
});
