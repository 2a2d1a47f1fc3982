// Node built-ins that cost start-up time and that many runs never use, loaded on first use: a dry
// run on a few screenshots never hashes (node:crypto was ~4 ms of it), reads files synchronously
// (node:fs/promises, ~2 ms) and sends nothing (node:stream, ~2 ms). For the modules a describe
// loads; those of other commands (each, batch) import Node's modules directly. (The home folder is
// store/paths.ts's business.)
let crypto: typeof import('node:crypto') | undefined;
let stream: typeof import('node:stream') | undefined;
let fsp: typeof import('node:fs/promises') | undefined;

export function nodeCrypto(): typeof import('node:crypto') {
  crypto ??= process.getBuiltinModule('node:crypto');
  return crypto;
}

export function fsPromises(): typeof import('node:fs/promises') {
  fsp ??= process.getBuiltinModule('node:fs/promises');
  return fsp;
}

/** node:stream, which a run that sends nothing and writes to no stream (output/fd-writer.ts) never needs. */
export function nodeStream(): typeof import('node:stream') {
  stream ??= process.getBuiltinModule('node:stream');
  return stream;
}
