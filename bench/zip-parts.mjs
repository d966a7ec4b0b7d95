// A workbook's zip as [name, bytes] parts, read and written back: how the benches build workbooks
// of a given shape from one duo-bridge exported.
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import yauzl from 'yauzl';
import yazl from 'yazl';

export async function readZip(path) {
  const zip = await new Promise((resolve, reject) => yauzl.open(path, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))));
  const parts = [];
  await new Promise((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry) => zip.openReadStream(entry, async (error, stream) => {
      if (error) return reject(error);
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      parts.push([entry.fileName, Buffer.concat(chunks)]);
      zip.readEntry();
    }));
    zip.readEntry();
  });
  return parts;
}

export async function writeZip(path, parts) {
  const zip = new yazl.ZipFile();
  for (const [name, content] of parts) zip.addBuffer(content, name);
  zip.end();
  const file = createWriteStream(path);
  zip.outputStream.pipe(file);
  await finished(file);
}
