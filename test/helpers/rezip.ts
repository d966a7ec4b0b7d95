import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';

/** What to put in place of a part: new text or bytes, a stream, or null to leave it out. */
export type PartEdit = string | Buffer | Readable | null;

/**
 * Copies a zip (a workbook) part by part, letting `edit` replace or drop parts and `extra` add
 * some: how the hostile tests build damaged workbooks of exactly the shape an issue describes.
 */
export async function rezip(source: string, target: string, edit: (name: string, content: Buffer) => PartEdit | undefined, extra: Record<string, PartEdit> = {}): Promise<void> {
  const out = new yazl.ZipFile();
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(source, { lazyEntries: true }, (error, z) => (error ? reject(error) : resolve(z!))));
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, async (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        for await (const chunk of stream!) chunks.push(chunk as Buffer);
        const replaced = edit(entry.fileName, Buffer.concat(chunks));
        add(out, entry.fileName, replaced === undefined ? Buffer.concat(chunks) : replaced);
        zip.readEntry();
      });
    });
    zip.readEntry();
  });
  for (const [name, part] of Object.entries(extra)) add(out, name, part);
  out.end();
  const file = createWriteStream(target);
  out.outputStream.pipe(file);
  await finished(file);
}

function add(zip: yazl.ZipFile, name: string, part: PartEdit): void {
  if (part === null) return;
  if (typeof part === 'string' || Buffer.isBuffer(part)) zip.addBuffer(Buffer.from(part), name);
  else zip.addReadStream(part, name);
}
