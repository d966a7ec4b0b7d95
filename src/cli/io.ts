import { createInterface } from 'node:readline/promises';

/** Where a command prints; injected so tests can capture output without touching globals. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** stderr is a terminal: colour, progress bars. */
  readonly errIsTTY: boolean;
  /** stdout is a terminal: colour in reports. */
  readonly outIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Asks a person a question, when there is a terminal to ask on. */
  readonly ask?: (question: string) => Promise<string>;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    errIsTTY: process.stderr.isTTY === true,
    outIsTTY: process.stdout.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
    ...(process.stdin.isTTY && process.stderr.isTTY ? { ask } : {}),
  };
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
