// Which lines of `a` became which lines of `b`: Myers' O(ND) difference algorithm over whole lines
// (each with its line ending, so a CRLF line is only equal to the same CRLF line). Pure.

export type DiffOp = { op: 'equal' | 'delete' | 'insert'; line: string };

/**
 * Past this many differing lines the middle is reported as one replacement: still a correct diff,
 * found in bounded time and memory (the trace kept for backtracking grows with its square).
 */
const MAX_EDITS = 2000;

export function diffLines(a: readonly string[], b: readonly string[]): DiffOp[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const eq = (lines: readonly string[]) => lines.map((line): DiffOp => ({ op: 'equal', line }));
  return [...eq(a.slice(0, head)), ...myers(a.slice(head, a.length - tail), b.slice(head, b.length - tail)), ...eq(a.slice(a.length - tail))];
}

function myers(a: readonly string[], b: readonly string[]): DiffOp[] {
  const n = a.length;
  const m = b.length;
  const replaceAll = (): DiffOp[] => [...a.map((line): DiffOp => ({ op: 'delete', line })), ...b.map((line): DiffOp => ({ op: 'insert', line }))];
  if (n === 0 || m === 0) return replaceAll();
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3); // v[offset + k]: the furthest x on diagonal k
  // trace[d]: v's diagonals -d-1..d+1 as they were before step d, which is all that step d read.
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(max, MAX_EDITS); d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number));
      let x = down ? (v[offset + k + 1] as number) : (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, a, b, d);
    }
  }
  return replaceAll();
}

function backtrack(trace: readonly Int32Array[], a: readonly string[], b: readonly string[], last: number): DiffOp[] {
  const ops: DiffOp[] = [];
  let x = a.length;
  let y = b.length;
  const equal = () => {
    x--;
    y--;
    ops.push({ op: 'equal', line: a[x] as string });
  };
  for (let d = last; d > 0; d--) {
    const before = trace[d] as Int32Array;
    const at = (k: number) => before[k + d + 1] as number;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) equal();
    if (down) ops.push({ op: 'insert', line: b[--y] as string });
    else ops.push({ op: 'delete', line: a[--x] as string });
  }
  while (x > 0 && y > 0) equal();
  return ops.reverse();
}
