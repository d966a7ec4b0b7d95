// Prints a jest --json result as one closing line, "NAME: N passed, N failed, N skipped", and
// exits non-zero if anything failed, nothing ran, or (with --no-skips) a test was skipped.
import { readFileSync } from 'node:fs';

const [name, file, flag] = process.argv.slice(2);
const r = JSON.parse(readFileSync(file, 'utf8'));
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
if (!r.success || r.numPassedTests === 0 || (flag === '--no-skips' && skipped > 0)) process.exit(1);
