// Lines the SSE specification says to ignore or handle, interleaved with the data events of a
// normal stream (the sse-odd-lines fault). None changes what a spec-following client dispatches:
// field blocks without data dispatch nothing, unknown fields and a bad retry are ignored, and no
// `event:` shares a block with data (that would rename the event).

/** What goes before the k-th data event: whole blocks, then lines inside its own block. */
export function oddLines(k: number, eol: string): { blocks: string; inside: string } {
  switch (k % 5) {
    case 0:
      return { blocks: `event: ping${eol}${eol}`, inside: '' };
    case 1:
      return { blocks: '', inside: `id: 7${eol}foo: bar${eol}` };
    case 2:
      return { blocks: `keepalive${eol}${eol}`, inside: `retry: abc${eol}` };
    case 3:
      return { blocks: `retry: 3000${eol}${eol}`, inside: `: ping${eol}` };
    default:
      return { blocks: `: ping${eol}`, inside: `keepalive${eol}` };
  }
}
