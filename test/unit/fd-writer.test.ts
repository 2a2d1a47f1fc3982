// FdWriter: the process's stdout/stderr written to the descriptor, until a write would block or a
// whole stream is needed; then Node's stream, for good, with nothing lost or reordered.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FdWriter, OutputError, streamOf } from '../../src/output/fd-writer.js';

const dirs: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kv-fdw-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A stand-in for process.stdout that records what reaches it. */
function fakeStream() {
  const s = new PassThrough();
  const got: Buffer[] = [];
  s.on('data', (c: Buffer) => got.push(c));
  return { stream: s as unknown as NodeJS.WriteStream, text: () => Buffer.concat(got).toString('latin1'), opened: 0 };
}

describe('FdWriter', () => {
  it('writes to the descriptor, in order, without making the stream; a file is not a terminal', () => {
    const file = path.join(tmp(), 'out');
    const fd = openSync(file, 'w');
    const fake = fakeStream();
    const out = new FdWriter(
      fd,
      () => (fake.opened++, fake.stream),
      () => {},
    );
    out.write('héllo ');
    out.write(Buffer.from('world\n'));
    expect(out.isTTY).toBe(false);
    expect(out.columns).toBeUndefined();
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('héllo world\n');
    expect(fake.opened).toBe(0);
  });

  it('hands over to the stream when a write would block (a full non-blocking pipe): nothing lost, nothing reordered', async () => {
    const fifo = path.join(tmp(), 'pipe');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK); // both ends: writes fail with EAGAIN once full
    const fake = fakeStream();
    const out = new FdWriter(
      fd,
      () => (fake.opened++, fake.stream),
      () => {},
    );
    const chunks = Array.from({ length: 40 }, (_, i) => String.fromCharCode(65 + (i % 26)).repeat(4096));
    for (const c of chunks) out.write(c); // 160 KiB: more than a pipe holds
    expect(fake.opened).toBe(1);
    await out.flushed();
    const buf = Buffer.alloc(1 << 20);
    const inPipe = buf.subarray(0, readSync(fd, buf)).toString('latin1');
    closeSync(fd);
    expect(inPipe.length).toBeGreaterThan(0);
    expect(inPipe + fake.text()).toBe(chunks.join(''));
  });

  it('tells its owner when the reader is gone (EPIPE) instead of throwing', () => {
    const fifo = path.join(tmp(), 'pipe');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    closeSync(reader);
    let gone = 0;
    const out = new FdWriter(
      writer,
      () => fakeStream().stream,
      () => gone++,
    );
    expect(out.write('answer\n')).toBe(false);
    expect(gone).toBe(1);
    closeSync(writer);
  });

  it('gives the whole stream to what needs one (a spinner, readline), and writes through it from then on', async () => {
    const file = path.join(tmp(), 'out');
    const fd = openSync(file, 'w');
    const fake = fakeStream();
    const out = new FdWriter(
      fd,
      () => (fake.opened++, fake.stream),
      () => {},
    );
    out.write('first ');
    expect(streamOf(out)).toBe(fake.stream);
    out.write('second');
    await out.flushed();
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('first ');
    expect(fake.text()).toBe('second');
    expect(fake.opened).toBe(1);
    const plain = new PassThrough();
    expect(streamOf(plain)).toBe(plain); // a test's fake output is its own stream
  });

  it('a write that fails (ENOSPC on /dev/full) ends the output: never thrown, the owner told once, later writes dropped', async () => {
    const fd = openSync('/dev/full', 'w');
    const failures: string[] = [];
    const out = new FdWriter(
      fd,
      () => fakeStream().stream,
      () => failures.push('EPIPE'),
      (err) => failures.push(err.code ?? '?'),
    );
    expect(out.write('the answer\n')).toBe(false);
    const told = await new Promise<Error | null | undefined>((resolve) => out.write('more', resolve));
    expect(told).toBe(out.failure);
    expect(out.failure?.code).toBe('ENOSPC');
    expect(failures).toEqual(['ENOSPC']);
    await out.flushed(); // does not wait for what can never be written
    closeSync(fd);
  });

  it('an error of the real stream (after the hand-over) is kept the same way, and EPIPE there is the reader gone', () => {
    const fake = fakeStream();
    const failures: string[] = [];
    const out = new FdWriter(
      1,
      () => fake.stream,
      () => failures.push('reader gone'),
      (err) => failures.push(err.code ?? '?'),
    );
    const stream = streamOf(out);
    stream.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(out.failure).toBeUndefined();
    stream.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }));
    stream.emit('error', Object.assign(new Error('write EIO'), { code: 'EIO' }));
    expect(failures).toEqual(['reader gone', 'EIO']);
    expect(out.write('dropped')).toBe(false);
  });

  it.each([
    ['stdout', 'ENOSPC', 'cannot write to stdout: no space left on the device (ENOSPC).', /Send stdout to a disk or device with room/],
    ['stderr', 'EIO', 'cannot write to stderr: the disk reported an I/O error (EIO).', /Send stderr to a disk/],
    ['stdout', 'EBADF', 'cannot write to stdout: it is closed (EBADF).', /not >&-/],
    ['stderr', 'EDQUOT', 'cannot write to stderr: over the disk quota (EDQUOT).', /room/],
  ] as const)('OutputError %s %s: exit 74, %s', (stream, code, message, hint) => {
    const err = new OutputError(stream, Object.assign(new Error('x'), { code }));
    expect(err.exitCode).toBe(74);
    expect(err.message).toBe(message);
    expect(err.hint).toMatch(hint);
  });
});
