import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { REPO } from '../helpers/run-cli.js';

/*
 * The layers of src/, lowest first: a file imports only from its own layer or a lower one, and
 * the workflows and sync, side by side on writes/, never from each other. A new folder must be
 * given its place here.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['.'],
  ['csv'],
  ['validate', 'ad', 'duo/api'],
  ['input', 'duo/tenant', 'notify'],
  ['duo/journal', 'duo/plan'],
  ['duo/writes'],
  ['duo/workflows', 'duo/sync', 'simulator'],
  ['report', 'report/html'],
  ['cli', 'cli/commands', 'cli/render'],
];
const SIDE_BY_SIDE = [['duo/workflows', 'duo/sync']];

const src = join(REPO, 'src');

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(folder, entry.name)) : entry.name.endsWith('.ts') ? [join(folder, entry.name)] : []);
}

/** Folder (relative to src) → the folders its files import at run time (`import type` left out). */
function imports(): Map<string, { file: string; to: string }[]> {
  const edges = new Map<string, { file: string; to: string }[]>();
  for (const file of sourceFiles(src)) {
    if (relative(src, file) === 'index.ts') continue;
    const from = relative(src, dirname(file)) || '.';
    for (const match of readFileSync(file, 'utf8').matchAll(/^(?:import|export)(?! type )[^'"]*?from '(\.{1,2}\/[^']+)\.js';/gms)) {
      const to = relative(src, dirname(normalize(join(dirname(file), match[1]!)))) || '.';
      if (to !== from) edges.set(from, [...(edges.get(from) ?? []), { file: relative(src, file), to }]);
    }
  }
  return edges;
}

const layerOf = (folder: string): number => LAYERS.findIndex((layer) => layer.includes(folder));

describe('the layers of src/', () => {
  const edges = imports();

  it('every folder has its place', () => {
    const folders = new Set(sourceFiles(src).map((file) => relative(src, dirname(file)) || '.'));
    expect([...folders].filter((folder) => layerOf(folder) === -1)).toEqual([]);
  });

  it('no import points up a layer, and the workflows and sync never import each other', () => {
    const wrong: string[] = [];
    for (const [from, list] of edges) {
      for (const { file, to } of list) {
        if (layerOf(to) > layerOf(from)) wrong.push(`${file} imports ${to}/ (a higher layer)`);
        if (SIDE_BY_SIDE.some((pair) => pair.includes(from) && pair.includes(to))) wrong.push(`${file} imports ${to}/ (side by side, never sideways)`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
