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

interface KeyPolicy {
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
  lineEnding?: LineEnding;
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
  /** A fault every chat request meets when none is queued (`npm run emulator --fault <kind>`). */
  alwaysFault?: Fault;
  /** Called once per finished request (main.ts logs it). */
  onRequestEnd?: (r: LoggedRequest) => void;
  /** Called with each SSE `data:` payload just before its bytes are written (the bench times the first answer byte). */
  onSseEvent?: (payload: string) => void;
}

export type LineEnding = '\n' | '\r\n' | '\r';

/** What `gzip` faults label the body with; x-weird is gzip bytes under a name nobody decodes. */
export type HostileEncoding = 'gzip' | 'br' | 'x-weird';

/**
 * Faults, queued with queueFault() and met by the next chat requests in order (one each).
 * Those that answer in place of the service act after auth and the rate limits; `redirect` acts
 * before the request body is read. Wire faults (huge-headers, sse-odd-lines, content-type-case,
 * gzip) change how the normal answer, or the error the request earns, travels.
 */
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
  | { kind: 'delay'; ms: number }
  /** HTTP 200 with `{"error":{"message","type"}}` as application/json, streamed request or not (some gateways). */
  | { kind: 'json-error-200'; type: string; message: string }
  /** A 200 event stream of deltas (content, or reasoning) forever: no finish_reason, no [DONE], until the client closes. */
  | { kind: 'endless-stream'; deltas?: 'content' | 'reasoning' }
  /** A 400 or 500 whose JSON body starts `{"error":{"type":...,"message":"` and never ends, until the client closes. */
  | { kind: 'endless-error-body'; status: 400 | 500 }
  /** The normal answer with an `x-trace-detail` header of `bytes` (default 64 KiB): over undici's 16 KiB limit. */
  | { kind: 'huge-headers'; bytes?: number }
  /**
   * The normal stream interleaved with what the SSE specification says to ignore or handle: `event: ping`
   * and `retry:` blocks without data, `id: 7`, `foo: bar`, a bare `keepalive`, `retry: abc`, `: ping`;
   * with LF (default), CRLF or CR-only line endings. A spec-following client reads the whole answer.
   */
  | { kind: 'sse-odd-lines'; lineEnding?: LineEnding }
  /** `Content-Type: Text/Event-Stream; Charset=UTF-8` for streams, `Application/JSON; charset=UTF-8` for JSON. */
  | { kind: 'content-type-case' }
  /** The answer (stream or JSON, or its error) compressed although the client asked for identity; default gzip. */
  | { kind: 'gzip'; encoding?: HostileEncoding }
  /** A 3xx to the POST with a Location (default: this chat URL, absolute; give a path for the relative variant). */
  | { kind: 'redirect'; status: 301 | 302 | 303 | 307 | 308; location?: string };

/** Faults that act inside an answered stream. */
export type StreamFault = Extract<Fault, { kind: 'reset-mid-stream' | 'stall-mid-stream' | 'malformed-json' | 'error-event' }>;

/** How GET /downloads/<mode>/<fixture> serves a file of fixtures/ (see downloads.ts). */
export type DownloadMode = 'whole' | 'trickle' | 'endless';

export interface DownloadPace {
  /** Milliseconds between writes (default 200); 0 with endless: as fast as the socket drains. */
  everyMs?: number;
  /** trickle: the file is spread over this many seconds (default 60). */
  seconds?: number;
  /** endless: filler bytes per write after the file (default 16). */
  bytes?: number;
}

export interface Emulator {
  baseUrl: string;
  port: number;
  requests: LoggedRequest[];
  chatRequests(): LoggedRequest[];
  readonly inFlight: number;
  readonly peakInFlight: number;
  queueFault(f: Fault): void;
  /**
   * The URL of a fixture served for URL inputs: whole, trickled (a few bytes every `everyMs`, the
   * total `seconds` long) or endless (the file, then filler forever). Served beside the API, no key.
   */
  downloadUrl(fixture: string, mode?: DownloadMode, pace?: DownloadPace): string;
  set(opts: Partial<EmulatorOptions>): void;
  reset(): void;
  close(): Promise<void>;
}
