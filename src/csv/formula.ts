/**
 * Spreadsheet formula injection: a cell starting with one of these is evaluated by Excel, LibreOffice
 * and Google Sheets even when quoted (OWASP ASVS 5 req. 1.2.10). Writers prefix `'`, readers strip
 * exactly one `'` in front of a trigger; both use this one list so a round trip is exact.
 */
const FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '\t', '\r', '＝', '＋', '－', '＠']);

/** Triggers that still make a name risky once unescaped (tab and CR are trimmed away anyway). */
const NAME_FORMULA_TRIGGERS = new Set(['=', '+', '-', '@', '＝', '＋', '－', '＠']);

export function escapeFormula(value: string): string {
  return value.length > 0 && FORMULA_TRIGGERS.has(value[0]!) ? `'${value}` : value;
}

export function unescapeFormula(value: string): string {
  return value.length > 1 && value.charCodeAt(0) === 39 /* ' */ && FORMULA_TRIGGERS.has(value[1]!)
    ? value.slice(1)
    : value;
}

export function startsWithFormulaTrigger(value: string): boolean {
  return value.length > 0 && NAME_FORMULA_TRIGGERS.has(value[0]!);
}
