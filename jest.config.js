// Native ESM: the package is "type": "module" and yargs 18 is ESM-only.
/** @type {import('jest').Config} */
const config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // Its ES build imports JSON without an import attribute, which Jest's ESM loader warns about; Node runs the same code either way.
    '^libphonenumber-js$': '<rootDir>/node_modules/libphonenumber-js/index.cjs',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true }],
  },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The AD suite needs a Samba DC, the office suite LibreOffice, the browser suite Chromium, the crash suite minutes:
  // `npm run test:ad`, `npm run test:office`, `npm run test:browser` and `npm run test:crash` run them; the Windows
  // suite needs Wine and the release files (`npm run test:windows`), the ops suite Postfix and a global install (`npm run test:ops`).
  // test/churn is not ignored: here it simulates a few hundred days (DUO_BRIDGE_CHURN_DAYS unset);
  // `npm run test:churn` runs the same test for 20,000.
  testPathIgnorePatterns: [
    ...(process.env.DUO_BRIDGE_AD_SUITE ? [] : ['/test/ad/']),
    ...(process.env.DUO_BRIDGE_OFFICE_SUITE ? [] : ['/test/office/']),
    ...(process.env.DUO_BRIDGE_CRASH_SUITE ? [] : ['/test/crash/']),
    ...(process.env.DUO_BRIDGE_BROWSER_SUITE ? [] : ['/test/browser/']),
    ...(process.env.DUO_BRIDGE_CLIENTS_SUITE ? [] : ['/test/clients/']),
    ...(process.env.DUO_BRIDGE_WINDOWS_SUITE ? [] : ['/test/windows/']),
    ...(process.env.DUO_BRIDGE_OPS_SUITE ? [] : ['/test/ops/']),
  ],
  testTimeout: 30000,
};
export default config;
