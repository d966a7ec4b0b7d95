export const DELIMITERS = [',', ';', '\t'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

/**
 * Picks the delimiter from the header line: the candidate seen most often outside quotes.
 * Excel writes `;` in locales with a decimal comma and tabs for "Unicode Text"; csv-parse's own
 * `delimiter_auto` guessed wrong when a quoted value held a `;`.
 */
export function sniffDelimiter(text: string): Delimiter {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && char === '\n') break;
    else if (!quoted && counts.has(char)) counts.set(char, counts.get(char)! + 1);
  }
  let best: Delimiter = ',';
  for (const candidate of DELIMITERS) if (counts.get(candidate)! > counts.get(best)!) best = candidate;
  return best;
}
