import { createInterface } from 'node:readline/promises';
import { basename } from 'node:path';
import { isatty } from 'node:tty';

/** Where a command prints; injected so tests can capture output without touching globals. */
export interface CliIo {
  /** Returns false when the text was queued rather than written (stdout's backpressure). */
  readonly out: (text: string) => boolean | void;
  /** Resolves when stdout has room again. */
  readonly outDrained?: () => Promise<void>;
  readonly err: (text: string) => void;
  /** stderr is a terminal: colour, progress bars. */
  readonly errIsTTY: boolean;
  /** stdout is a terminal: colour in reports. */
  readonly outIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Asks a person a question, when there is a terminal to ask on. */
  readonly ask?: (question: string) => Promise<string>;
  /** How this program is run, as a command it prints must start (an absolute path when known). */
  readonly program?: string;
}

export function processIo(): CliIo {
  // `duo-bridge validate … | head`: once the reader has gone, the rest of the report has nowhere to
  // go. Stop quietly, as other command-line tools do, instead of dying on an unhandled EPIPE.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  return {
    out: (text) => process.stdout.write(text),
    outDrained: () => new Promise((resolve) => process.stdout.once('drain', resolve)),
    err: (text) => process.stderr.write(text),
    errIsTTY: process.stderr.isTTY === true,
    outIsTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
    // bin/duo-bridge (npm's link to it), or the executable itself: in a single executable, argv[1] is the executable again.
    ...(process.argv[1] !== undefined && /duo-bridge/i.test(basename(process.argv[1])) ? { program: process.argv[1] } : {}),
    // isatty(0), not process.stdin.isTTY: that getter opens stdin, which fails (EBADF, an uncaught stack trace)
    // for a Windows executable whose stdin is a pipe under Wine (issue 31). stdin is opened only to ask.
    ...(isatty(0) && process.stderr.isTTY ? { ask } : {}),
  };
}

/** Prints a stream of text in chunks of about 64 KiB, waiting whenever stdout asks to: memory stays flat. */
export async function printAll(io: CliIo, chunks: AsyncIterable<string>): Promise<void> {
  let pending = '';
  const flush = async (): Promise<void> => {
    const text = pending;
    pending = '';
    if (io.out(text) === false && io.outDrained) await io.outDrained();
  };
  for await (const chunk of chunks) {
    pending += chunk;
    if (pending.length >= 1 << 16) await flush();
  }
  if (pending !== '') await flush();
}

async function ask(question: string): Promise<string> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await prompt.question(question);
  } finally {
    prompt.close();
  }
}

const ANSI = { red: 31, yellow: 33, green: 32, bold: 1, dim: 2 } as const;
export type Style = keyof typeof ANSI;

export function styler(enabled: boolean): (style: Style, text: string) => string {
  return enabled ? (style, text) => `\u001b[${ANSI[style]}m${text}\u001b[0m` : (_style, text) => text;
}
