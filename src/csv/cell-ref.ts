/** A spreadsheet column's letters: 0 → A, 25 → Z, 26 → AA. */
export function columnLetters(index: number): string {
  let letters = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) letters = String.fromCharCode(65 + ((n - 1) % 26)) + letters;
  return letters;
}

/** The A1-style reference of a cell: column index (0-based) and sheet row (1-based). */
export function cellRef(column: number, row: number): string {
  return `${columnLetters(column)}${row}`;
}
