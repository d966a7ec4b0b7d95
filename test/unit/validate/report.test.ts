import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { jsonReport } from '../../../src/validate/report.js';
import { validateCsv } from '../../../src/validate/validate-csv.js';

async function report(text: string): Promise<{ streamed: string; expected: object }> {
  const result = await validateCsv(Readable.from([Buffer.from(text)]));
  let streamed = '';
  for await (const chunk of jsonReport('in.csv', result)) streamed += chunk;
  const findings = [];
  for await (const f of result.findings()) {
    const { severity, code, line, row, column, value, message, related_lines } = f;
    findings.push({ severity, code, line, row, column, value, message, related_lines });
  }
  await result.dispose();
  return { streamed, expected: { file: 'in.csv', rows: result.rows, errors: result.errors, warnings: result.warnings, findings } };
}

describe('jsonReport', () => {
  it('streams the contract\'s object, key for key, one finding per line: nulls, quotes, Unicode, related lines', async () => {
    const { streamed, expected } = await report('username,email,alias1,extra\njdoe,"not ""an"" email",jdoe,x\n,ü@x,  Jdoe\u00e9 ,\njdoe,,,\n');
    expect(JSON.parse(streamed)).toEqual(expected);
    const lines = streamed.split('\n');
    expect(lines.slice(0, 6)).toEqual(['{', '  "file": "in.csv",', '  "rows": 3,', expect.stringMatching(/^  "errors": \d+,$/), expect.stringMatching(/^  "warnings": \d+,$/), '  "findings": [']);
    expect(lines.filter((l) => l.startsWith('    {"severity":'))).toHaveLength(JSON.parse(streamed).findings.length);
    expect(Object.keys(JSON.parse(streamed).findings[0])).toEqual(['severity', 'code', 'line', 'row', 'column', 'value', 'message', 'related_lines']);
  });

  it('an empty list of findings', async () => {
    const { streamed, expected } = await report('username\njdoe\n');
    expect(JSON.parse(streamed)).toEqual(expected);
    expect(streamed).toBe(JSON.stringify(expected, null, 2) + '\n');
  });
});
