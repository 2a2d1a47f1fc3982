// Every error a user can meet, and the one table from error kind to exit code.
// Commands throw these; only cli/run.ts (through output/report.ts) turns them into a message and an exit code.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  input: 3,
  auth: 4,
  rejected: 5,
  money: 6,
  /** A check found what it looks for: images without alt text (alt --check), differences (diff --fail-on). */
  check: 7,
  /** EX_IOERR of sysexits.h: a file the tool keeps (state, config, cache, an output file) cannot be written or read. */
  io: 74,
  temporary: 75,
  interrupted: 130,
  terminated: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error meant for the user: a one-line message, an optional hint, and an exit code. */
export class KvError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  constructor(exitCode: ExitCode, message: string, hint?: string) {
    super(message);
    this.name = 'KvError';
    this.exitCode = exitCode;
    this.hint = hint;
  }
}

export class UsageError extends KvError {
  constructor(message: string, hint?: string) {
    super(EXIT.usage, message, hint);
    this.name = 'UsageError';
  }
}

export class InputError extends KvError {
  constructor(message: string, hint?: string) {
    super(EXIT.input, message, hint);
    this.name = 'InputError';
  }
}

export class MoneyError extends KvError {
  constructor(message: string, hint?: string) {
    super(EXIT.money, message, hint);
    this.name = 'MoneyError';
  }
}

export class InterruptedError extends KvError {
  constructor(signal: 'SIGINT' | 'SIGTERM' = 'SIGINT') {
    super(signal === 'SIGTERM' ? EXIT.terminated : EXIT.interrupted, `interrupted (${signal})`);
    this.name = 'InterruptedError';
  }
}

/** The interruption an aborted run signal stands for (Ctrl-C or SIGTERM). */
export function interruptedBy(signal: AbortSignal): InterruptedError {
  return new InterruptedError(signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
}

/** What Moonshot said, with the HTTP status and request id. */
export class ApiError extends KvError {
  readonly status: number;
  readonly type: string;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(opts: {
    status: number;
    type: string;
    message: string;
    requestId?: string | undefined;
    retryAfterMs?: number | undefined;
    hint?: string | undefined;
  }) {
    super(exitCodeForApi(opts.status, opts.type), opts.message, opts.hint);
    this.name = 'ApiError';
    this.status = opts.status;
    this.type = opts.type;
    this.requestId = opts.requestId;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** The connection failed, timed out or broke before the answer was complete. */
export class NetworkError extends KvError {
  readonly code: string;
  /** True when some answer text had already been shown before the failure. */
  readonly partial: boolean;
  /** False for failures a retry cannot fix (a TLS certificate problem). */
  readonly retryable: boolean;
  constructor(code: string, message: string, hint?: string, partial = false, retryable = true) {
    super(EXIT.temporary, message, hint);
    this.name = 'NetworkError';
    this.code = code;
    this.partial = partial;
    this.retryable = retryable;
  }
}

/** A file the tool keeps could not be written (or read): the path and the errno code, and what to do. */
export class StoreError extends KvError {
  readonly code: string;
  readonly path: string;
  constructor(code: string, path: string, message: string, hint?: string) {
    super(EXIT.io, message, hint);
    this.name = 'StoreError';
    this.code = code;
    this.path = path;
  }
}

/** A state file (session, config, manifest) that is not what the tool wrote: exit 2, never a TypeError. */
export class DamagedStateError extends KvError {
  readonly path: string;
  constructor(path: string, detail: string, hint?: string) {
    super(EXIT.usage, `damaged: ${path} (${detail}).`, hint ?? `Fix or remove it: rm ${path}`);
    this.name = 'DamagedStateError';
    this.path = path;
  }
}

/** Another run holds the lock of a file, or changed the file while this run worked: try again. */
export class LockedError extends KvError {
  readonly path: string;
  constructor(path: string, message: string, hint?: string) {
    super(EXIT.temporary, message, hint);
    this.name = 'LockedError';
    this.path = path;
  }
}

function exitCodeForApi(status: number, type: string): ExitCode {
  if (type === 'exceeded_current_quota_error') return EXIT.money;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 429 || status >= 500) return EXIT.temporary;
  if (status === 413) return EXIT.input;
  return EXIT.rejected;
}

/** A short type name for JSONL error objects and messages. */
export function errorType(err: unknown): string {
  if (err instanceof ApiError) return err.type;
  if (err instanceof NetworkError) return err.code;
  if (err instanceof KvError) return err.name;
  return 'internal_error';
}
