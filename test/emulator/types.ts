// The emulator's public types: options, faults, the request log and the handle tests drive.

/** One decoded image or video part of a request. */
export interface MediaInfo {
  mime: string;
  bytes: number;
  sha256: string;
  source: 'data' | 'ms';
}

export interface LoggedRequest {
  method: string;
  path: string;
  /** Lowercased header names. */
  headers: Record<string, string>;
  /** Exact byte length received. */
  bodyBytes: number;
  /** Parsed JSON with every data: URL replaced by "data:<mime>;base64,<N bytes sha256=HEX>". */
  body?: unknown;
  /** Decoded image/video parts of all messages, in order. */
  images: MediaInfo[];
  status?: number;
  startedAt: number;
  endedAt?: number;
}

export interface KeyPolicy {
  models?: string[];
  balance?: number;
}

export interface ReplyContext {
  /** The request body as logged (data URLs summarised). */
  body: any;
  model: string;
  images: MediaInfo[];
}

export interface EmulatorOptions {
  /** When given, only these bearer keys are valid. */
  keys?: Record<string, KeyPolicy>;
  /** Account balance; at or below 0 chat answers 429 exceeded_current_quota_error. Default 49.58. */
  balance?: number;
  /** Override the answer text; undefined falls back to the default description. */
  reply?: (ctx: ReplyContext) => string | undefined;
  /** Delay before the response headers of each chat response. */
  firstByteDelayMs?: number;
  /** Delay between SSE events. */
  chunkDelayMs?: number;
  /** Where a stream carries usage. Default 'choice'. */
  usagePlacement?: 'choice' | 'top' | 'both';
  lineEnding?: '\n' | '\r\n';
  /** Interleave `: keep-alive` comment lines. */
  comments?: boolean;
  /** Write the first SSE events in slices of 1..7 bytes. Default true. */
  splitWrites?: boolean;
  /** Chat requests allowed in a sliding 60 s window. */
  rpmLimit?: number;
  /** Chat requests answered at once. */
  maxConcurrency?: number;
  randomFailures?: { retryable: number; fatal: number; seed: number };
  /** Send Retry-After (seconds) with retryable 429 and 503 errors. */
  retryAfterHeader?: boolean;
  /** With retryAfterHeader: Retry-After as an HTTP date (IMF-fixdate) that many seconds ahead. */
  retryAfterDate?: boolean;
  /**
   * How a path outside the API (e.g. POST /chat/completions from a base URL without /v1) is
   * answered: 404 `404 page not found` as text/plain (default), or a gateway's JSON
   * `{"error":{"type":"resource_not_found_error","message":"no route matches POST /chat/completions"}}`.
   * Neither carries Msh-Request-Id, and neither is the model-not-found error.
   */
  notFound?: 'text' | 'json';
  /** Whether GET /v1/models items carry context_length, supports_* fields. Default 'extended'. */
  modelFields?: 'extended' | 'minimal';
  /** GETs of a batch until it completes. Default 2. */
  batchPollsToComplete?: number;
  /** Arguments of emulated tool calls; default derived from the tool's JSON schema. */
  toolArguments?: Record<string, unknown>;
  /** Serve HTTPS instead of HTTP. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Port to listen on (default 0: random). */
  port?: number;
  /** Folder that `replay` faults read relative file names from. */
  capturesDir?: string;
  /** Called once per finished request (main.ts logs it). */
  onRequestEnd?: (r: LoggedRequest) => void;
  /** Called with each SSE `data:` payload just before its bytes are written (the bench times the first answer byte). */
  onSseEvent?: (payload: string) => void;
}

export type Fault =
  | { kind: 'error'; status: number; type: string; message: string; headers?: Record<string, string> }
  | { kind: 'reset' }
  | { kind: 'stall-headers' }
  | { kind: 'reset-mid-stream'; afterEvents: number }
  | { kind: 'stall-mid-stream'; afterEvents: number }
  | { kind: 'malformed-json'; afterEvents: number }
  | { kind: 'error-event'; afterEvents: number; type: string; message: string }
  | { kind: 'non-sse' }
  | { kind: 'replay'; file: string }
  | { kind: 'delay'; ms: number };

/** Faults that act inside an answered stream. */
export type StreamFault = Extract<
  Fault,
  { kind: 'reset-mid-stream' | 'stall-mid-stream' | 'malformed-json' | 'error-event' }
>;

export interface Emulator {
  baseUrl: string;
  port: number;
  requests: LoggedRequest[];
  chatRequests(): LoggedRequest[];
  readonly inFlight: number;
  readonly peakInFlight: number;
  queueFault(f: Fault): void;
  set(opts: Partial<EmulatorOptions>): void;
  reset(): void;
  close(): Promise<void>;
}
