/**
 * One error hierarchy for the whole tool. Every class carries the exit code the contract assigns to it,
 * so the CLI turns any of them into one line and the right exit status without knowing the details.
 */
export abstract class DuoBridgeError extends Error {
  abstract readonly exitCode: 1 | 2 | 3;
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The data has problems (findings, failed rows): exit 1. */
export class DataError extends DuoBridgeError {
  override readonly exitCode = 1;
}

/** The command could not run as asked: bad option, missing or unreadable input file: exit 2. */
export class UsageError extends DuoBridgeError {
  override readonly exitCode = 2;
}

/** Another duo-bridge holds the file (a journal, the sync state) right now: exit 2, and trying later may work. */
export class InUseError extends UsageError {}

/** A remote system failed: unreachable, refused our credentials, died mid-way: exit 3. */
export class RemoteError extends DuoBridgeError {
  override readonly exitCode = 3;
}

export class LdapError extends RemoteError {}

/** Duo unreachable or refusing our credentials: nothing can proceed. */
export class DuoApiError extends RemoteError {}

/** Duo answered 403: the Admin API application lacks a permission for this one endpoint. */
export class DuoPermissionError extends DuoApiError {}

/**
 * Duo refused one request (a 4xx about the request itself). Workflows turn it into a failed row;
 * one that reaches the top means Duo refused the run's own work: a remote failure, not bad data.
 */
export class DuoRequestError extends RemoteError {
  constructor(
    readonly status: number,
    readonly duoCode: number | null,
    readonly duoMessage: string,
    readonly detail: string | null,
  ) {
    super('DUO_REQUEST_REFUSED', `Duo refused the request: ${duoMessage}${detail ? ` (${detail})` : ''}` +
      `${duoCode === null ? ` (HTTP ${status})` : ` (code ${duoCode})`}`);
  }
}

/**
 * A write whose outcome is unknown: timeout, connection reset after sending, 5xx, an unreadable
 * answer. It may or may not have been applied; the importer re-reads Duo before doing anything else.
 */
export class DuoOutcomeUnknownError extends RemoteError {}
