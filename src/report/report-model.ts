/**
 * What an HTML report shows, as plain data: built from a command's JSON output (the page is a
 * view of it, never a second computation), then rendered by the one template in ./html/page.ts.
 */

/** Why a row is shown apart, before the routine ones: it takes something away, was held, conflicts, failed, or gives access back. */
export type Risk = 'destructive' | 'held' | 'conflict' | 'failed' | 'access';

export interface ReportChange {
  readonly field: string;
  readonly before: string;
  readonly after: string;
}

export interface ReportRow {
  readonly action: string;
  readonly user: string;
  readonly userId: string;
  /** What changes, field by field (empty for an action that changes no value shown here). */
  readonly changes: readonly ReportChange[];
  readonly reason: string;
  /** Where the row comes from: the input file's line (or cell), empty when none. */
  readonly where: string;
  readonly risk: Risk | null;
}

export interface ReportCount {
  readonly action: string;
  readonly count: number;
  readonly risk: Risk | null;
}

export interface Report {
  /** e.g. "Plan", "Sync run". */
  readonly title: string;
  /** What the run is: command, tenant, source, input files with sha256, time, version … in order. */
  readonly facts: readonly (readonly [label: string, value: string])[];
  /** How many rows of each action (the chart), in the order shown. */
  readonly counts: readonly ReportCount[];
  /** Sentences an approver reads first: why a safeguard held, what was left out. */
  readonly warnings: readonly string[];
  /** Every row; may be read twice (the rows at risk first, then all of them), so a factory, not an iterator. */
  readonly rows: () => Iterable<ReportRow> | AsyncIterable<ReportRow>;
}

/** The rows counted by action (for reports whose JSON has no counts of its own): `order` first, then as they come; a bar takes the first risk among its rows. */
export function countByAction(rows: Iterable<ReportRow>, order: readonly string[] = []): ReportCount[] {
  const counts = new Map<string, { count: number; risk: Risk | null }>(order.map((action) => [action, { count: 0, risk: null }]));
  for (const row of rows) {
    const entry = counts.get(row.action) ?? { count: 0, risk: null };
    counts.set(row.action, { count: entry.count + 1, risk: entry.risk ?? row.risk });
  }
  return [...counts].filter(([, c]) => c.count > 0).map(([action, c]) => ({ action, ...c }));
}
