import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

/** Debian's chromium (or CHROMIUM_PATH): puppeteer-core never downloads a browser. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`no Chromium at ${path}: apt-get install chromium, or set CHROMIUM_PATH`);
  return path;
}

export function launchChromium(): Promise<Browser> {
  // As root (CI), Chromium refuses to start with its sandbox; the pages opened are our own files.
  return puppeteer.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--no-first-run', '--disable-extensions'] });
}
