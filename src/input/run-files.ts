export interface ImportFiles {
  readonly journal: string;
  readonly results: string;
  readonly rejected: string;
}

/** `users.csv` and `users.xlsx` (or .tsv, .txt) both name their run's files `users.*`. */
export function runFileBase(input: string): string {
  return input.replace(/\.(csv|tsv|txt|xlsx)$/i, '');
}

/** users.csv → users.journal.jsonl, users.results.csv, users.rejected.csv beside it. */
export function importFiles(input: string, journal?: string): ImportFiles {
  const base = runFileBase(input);
  return { journal: journal ?? `${base}.journal.jsonl`, results: `${base}.results.csv`, rejected: `${base}.rejected.csv` };
}
