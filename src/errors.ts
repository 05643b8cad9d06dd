/**
 * Every failure a user can cause or fix is a GtError: the CLI prints its message (one line) and
 * its hint, and exits with its exit code. Anything else is a bug and gets a stack trace.
 */
export class GtError extends Error {
  readonly exitCode: number = 1;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The command line or an input file is malformed: wrong value, missing argument, bad format. */
export class UsageError extends GtError {
  override readonly exitCode = 2;
}

/** The directory is not inside a git repository, or the ledger has not been created. */
export class RepositoryError extends GtError {}

/**
 * A file of gt's read cache (`.git/gt/`) was found damaged or gone while a command used it. It has
 * been removed; the command can simply run again (the CLI does so once by itself).
 */
export class CacheDamagedError extends GtError {
  constructor(what: string) {
    super(`gt's read cache lost ${what} while this command ran`, 'run the command again (the cache is rebuilt from git)');
  }
}

/** An id (or id prefix) matched nothing. */
export class NotFoundError extends GtError {
  constructor(
    readonly what: string,
    readonly query: string,
    readonly closest: string[] = [],
  ) {
    super(
      `no ${what} matches '${query}'`,
      closest.length > 0 ? `closest: ${closest.join(', ')}` : undefined,
    );
  }
}

/** An id prefix matched several entities. */
export class AmbiguousIdError extends GtError {
  constructor(
    readonly query: string,
    readonly candidates: string[],
  ) {
    super(
      `'${query}' is ambiguous: it matches ${candidates.length} ids`,
      `candidates: ${candidates.slice(0, 10).join(', ')}${candidates.length > 10 ? ', …' : ''}`,
    );
  }
}

/** A requested change breaks a rule of the work model (cycle, claim taken, epic with open children…). */
export class RuleError extends GtError {}

/** A file on the ledger cannot be read as what it should be; carries where. */
export class LedgerFileError extends GtError {
  constructor(
    readonly path: string,
    readonly line: number | undefined,
    readonly problem: string,
    hint = 'fix the file on the ledger branch (or run gt doctor for a full report)',
  ) {
    super(`${path}${line !== undefined ? `:${line}` : ''}: ${problem}`, hint);
  }
}

/** The ref moved between our read and our compare-and-swap; the write is retried. */
export class RefConflictError extends GtError {
  constructor(
    readonly ref: string,
    readonly expected: string | null,
    readonly actual: string | null,
  ) {
    super(`${ref} moved while writing (expected ${expected ?? 'nothing'}, found ${actual ?? 'nothing'})`);
  }
}

/** Another writer holds a lock longer than we are willing to wait. */
export class LockBusyError extends GtError {}
