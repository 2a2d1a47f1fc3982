// Preloaded with `node --import` into the runs of case 4 that look inside a client (the timed runs
// go without it): notes performance.now() when the first answer text (an SSE chunk with a non-empty
// "content") is read from a socket, and when stdout is first written, and writes both to
// $KV_BENCH_FIRSTBYTE_FILE at exit. Both instants are on this process's clock.
import fs, { writeFileSync } from 'node:fs';
import net from 'node:net';

const file = process.env.KV_BENCH_FIRSTBYTE_FILE;
if (file) {
  const ANSWER = /"content":"[^"]/;
  let socketAt;
  let stdoutAt;
  const seen = (chunk) => {
    if (socketAt !== undefined || !chunk) return;
    if (ANSWER.test(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('latin1'))) socketAt = performance.now();
  };
  // undici reads with socket.read() on 'readable'; other clients listen for 'data'.
  const read = net.Socket.prototype.read;
  net.Socket.prototype.read = function (...args) {
    const chunk = read.apply(this, args);
    seen(chunk);
    return chunk;
  };
  const emit = net.Socket.prototype.emit;
  net.Socket.prototype.emit = function (event, ...args) {
    if (event === 'data') seen(args[0]);
    return emit.call(this, event, ...args);
  };
  const wrote = (chunk) => {
    if (stdoutAt === undefined && chunk && chunk.length > 0) stdoutAt = performance.now();
  };
  // kimi-vision writes stdout to the descriptor (src/output/fd-writer.ts); other clients through
  // process.stdout, patched when first read so that this hook does not make it.
  const writeSync = fs.writeSync;
  fs.writeSync = function (fd, chunk, ...args) {
    if (fd === 1) wrote(chunk);
    return writeSync.call(this, fd, chunk, ...args);
  };
  const stdout = Object.getOwnPropertyDescriptor(process, 'stdout');
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: stdout.enumerable,
    get() {
      const s = stdout.get.call(process);
      if (!s.kvPatched) {
        s.kvPatched = true;
        const write = s.write;
        s.write = function (chunk, ...args) {
          wrote(chunk);
          return write.call(this, chunk, ...args);
        };
      }
      return s;
    },
  });
  process.on('exit', () => writeFileSync(file, JSON.stringify({ socketAt, stdoutAt })));
}
