import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { jsonReport } from '../../../src/validate/report.js';
import { validateCsv } from '../../../src/validate/validate-csv.js';

async function report(text: string): Promise<{ streamed: string; expected: string }> {
  const result = await validateCsv(Readable.from([Buffer.from(text)]));
  let streamed = '';
  for await (const chunk of jsonReport('in.csv', result)) streamed += chunk;
  const findings = [];
  for await (const f of result.findings()) {
    const { severity, code, line, row, column, value, message, related_lines } = f;
    findings.push({ severity, code, line, row, column, value, message, related_lines });
  }
  await result.dispose();
  return { streamed, expected: JSON.stringify({ file: 'in.csv', rows: result.rows, errors: result.errors, warnings: result.warnings, findings }, null, 2) + '\n' };
}

describe('jsonReport', () => {
  it('streams exactly what JSON.stringify(report, null, 2) prints: nulls, quotes, Unicode, related lines', async () => {
    const { streamed, expected } = await report('username,email,alias1,extra\njdoe,"not ""an"" email",jdoe,x\n,ü@x,  Jdoe\u00e9 ,\njdoe,,,\n');
    expect(streamed).toBe(expected);
    expect(JSON.parse(streamed).findings.length).toBeGreaterThan(4);
  });

  it('an empty list of findings', async () => {
    const { streamed, expected } = await report('username\njdoe\n');
    expect(streamed).toBe(expected);
  });
});
