import { extname } from 'node:path';
import { checkOutputPath, writeChunk, writeFileAtomically } from '../atomic-file.js';
import { UsageError } from '../errors.js';
import { renderReport } from './html/page.js';
import type { Report } from './report-model.js';

/** `--report FILE.html`: refused before any work when the name is not an .html file or its folder is missing. */
export async function checkReportPath(path: string): Promise<void> {
  if (!/^\.html?$/i.test(extname(path))) throw new UsageError('BAD_OPTION', `--report writes an HTML page: name it FILE.html (got ${JSON.stringify(path)})`);
  await checkOutputPath(path, '--report');
}

/** Writes the page to a temp file, then renames it into place. */
export async function writeHtmlReport(path: string, report: Report): Promise<void> {
  await writeFileAtomically(path, async (out) => {
    for await (const piece of renderReport(report)) await writeChunk(out, piece);
  });
}
