// Writes server-sent events the way a real network delivers them: optionally in odd-sized slices
// (so lines and UTF-8 characters split across reads), with keep-alive comments, LF, CRLF or CR,
// and for hostile modes with odd SSE lines, odd header case or a compressed body.

import type { ServerResponse } from 'node:http';
import { encoderFor, type Wire } from './wire.js';
import { sleep } from './respond.js';
import { oddLines } from './sse-odd-lines.js';
import type { LineEnding } from './types.js';

export interface SseStyle {
  lineEnding: LineEnding;
  comments: boolean;
  splitWrites: boolean;
  chunkDelayMs: number;
  onEvent?: ((payload: string) => void) | undefined;
  /** Interleave the lines of the sse-odd-lines fault. */
  oddLines?: boolean;
  /** How the bytes travel (hostile modes); plain when absent. */
  wire?: Wire | undefined;
}

/** A compressor between the writer and the response: flushed after each write so events still trickle. */
type Encoder = ReturnType<typeof encoderFor>;

/** Bytes written in 1..7-byte slices before whole events take over (keeps big answers fast). */
const SPLIT_BUDGET = 4_096;
const COMMENT_EVERY = 3;

export class SseWriter {
  private readonly res: ServerResponse;
  private readonly style: SseStyle;
  private readonly signal: AbortSignal;
  private sliced = 0;
  private slice = 0;
  private events = 0;
  private encoder: Encoder | undefined;

  constructor(res: ServerResponse, style: SseStyle, signal: AbortSignal) {
    this.res = res;
    this.style = style;
    this.signal = signal;
  }

  /** Sends the headers of a 200 event stream. */
  start(headers: Record<string, string> = {}): void {
    const wire = this.style.wire;
    const contentType = wire?.oddCase ? 'Text/Event-Stream; Charset=UTF-8' : 'text/event-stream; charset=utf-8';
    this.res.writeHead(200, {
      ...headers,
      ...wire?.headers,
      [wire?.oddCase ? 'Content-Type' : 'content-type']: contentType,
      'cache-control': 'no-cache',
      ...(wire?.encoding ? { 'content-encoding': wire.encoding } : {}),
    });
    this.res.flushHeaders();
    if (wire?.encoding) {
      const encoder = encoderFor(wire.encoding);
      encoder.pipe(this.res);
      this.res.once('close', () => encoder.destroy());
      this.encoder = encoder;
    }
  }

  /** True while the client is still there. */
  get open(): boolean {
    return !this.res.destroyed && !this.res.writableEnded && !this.signal.aborted;
  }

  /** One `data:` event (after the chunk delay, with a comment when due). False once the client left. */
  async data(payload: string): Promise<boolean> {
    if (this.events > 0) await sleep(this.style.chunkDelayMs, this.signal);
    const eol = this.style.lineEnding;
    const odd = this.style.oddLines ? oddLines(this.events, eol) : { blocks: '', inside: '' };
    let text = `${odd.blocks}${odd.inside}data: ${payload}${eol}${eol}`;
    if (this.style.comments && this.events % COMMENT_EVERY === 0) text = `: keep-alive${eol}${eol}${text}`;
    this.events += 1;
    this.style.onEvent?.(payload);
    return this.send(Buffer.from(text, 'utf8'));
  }

  /** Resolves once everything written so far has reached the socket (before cutting it). */
  flush(): Promise<void> {
    const socket = this.res.socket;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
  }

  /** Ends the response normally. */
  end(): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    if (this.encoder) this.encoder.end();
    else this.res.end();
  }

  private async send(buf: Buffer): Promise<boolean> {
    if (this.encoder) return this.writeEncoded(this.encoder, buf);
    if (!this.style.splitWrites || this.sliced >= SPLIT_BUDGET) return this.writeWhole(buf);
    for (let at = 0; at < buf.length; ) {
      const size = (this.slice % 7) + 1;
      this.slice += 1;
      if (!(await this.write(buf.subarray(at, at + size)))) return false;
      at += size;
      this.sliced += size;
    }
    return true;
  }

  /** Writes without waiting for the flush unless the socket pushes back. */
  private writeWhole(buf: Buffer): Promise<boolean> {
    if (!this.open) return Promise.resolve(false);
    if (this.res.write(buf)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = (): void => done(true);
      const onClose = (): void => done(false);
      this.res.once('drain', onDrain);
      this.res.once('close', onClose);
    });
  }

  /** Compresses one event and flushes it, so the client can decode it before the next arrives. */
  private writeEncoded(encoder: Encoder, buf: Buffer): Promise<boolean> {
    if (!this.open) return Promise.resolve(false);
    return new Promise((resolve) => {
      encoder.write(buf);
      encoder.flush(() => resolve(this.open));
    });
  }

  /** Writes one slice and waits until it is handed to the socket, so slices go out separately. */
  private write(buf: Buffer): Promise<boolean> {
    if (!this.open) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onClose = (): void => resolve(false);
      this.res.once('close', onClose);
      this.res.write(buf, (err) => {
        this.res.off('close', onClose);
        resolve(!err);
      });
    });
  }
}
