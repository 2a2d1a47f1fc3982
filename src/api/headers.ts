// Reading response headers as HTTP defines them: names case-insensitive (undici gives them
// lowercased), media types case-insensitive and with parameters (`Text/Event-Stream; Charset=UTF-8`).

export type Headers = Record<string, string | string[] | undefined>;

/** One header's value (the first, when it came more than once). */
export function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The request id Moonshot's answers carry, for messages and debug lines. */
export function requestIdOf(headers: Headers): string | undefined {
  return header(headers, 'msh-request-id') ?? header(headers, 'x-trace-id');
}

/** The media type of Content-Type, lowercased, without its parameters: '' when there is none. */
export function mediaType(headers: Headers): string {
  return (header(headers, 'content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase();
}
