// A document's old and new text -> a unified diff that `git apply` and `patch -p1` accept: a/ and
// b/ paths, 3 lines of context, hunks merged when their context would touch, lines kept with their
// own endings (CRLF stays CRLF), `\ No newline at end of file` where a side ends without one.
// Paths are written as git writes them: C-quoted when they hold `"`, `\`, control or non-ASCII
// characters, and with a tab after the name when it holds a space (so patch does not take the
// rest of the line for a date). Pure.
import { diffLines, type DiffOp } from './line-diff.js';

const CONTEXT = 3;

/** The unified diff of one document ('' when nothing changed). `relPath` uses `/` between folders. */
export function unifiedDiff(relPath: string, before: string, after: string): string {
  if (before === after) return '';
  const ops = diffLines(splitLines(before), splitLines(after));
  const a = quotePath(`a/${relPath}`);
  const b = quotePath(`b/${relPath}`);
  const out = [`diff --git ${a.name} ${b.name}\n`, `--- ${a.name}${a.tab}\n`, `+++ ${b.name}${b.tab}\n`];
  for (const h of hunks(ops)) out.push(h);
  return out.join('');
}

/** Several documents' diffs, one after another, as one patch. */
export function unifiedDiffs(docs: readonly { relPath: string; before: string; after: string }[]): string {
  return docs.map((d) => unifiedDiff(d.relPath, d.before, d.after)).join('');
}

/** Lines with their endings; a last line without one is kept as it is. Only \n ends a line for diff. */
function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
}

function* hunks(ops: readonly DiffOp[]): Generator<string> {
  const changed = ops.flatMap((o, i) => (o.op === 'equal' ? [] : [i]));
  let i = 0;
  while (i < changed.length) {
    // Grow the hunk while the next change is within two contexts of the last.
    let j = i;
    while (j + 1 < changed.length && (changed[j + 1] as number) - (changed[j] as number) - 1 <= 2 * CONTEXT) j++;
    const from = Math.max(0, (changed[i] as number) - CONTEXT);
    const to = Math.min(ops.length, (changed[j] as number) + 1 + CONTEXT);
    yield hunk(ops, from, to);
    i = j + 1;
  }
}

function hunk(ops: readonly DiffOp[], from: number, to: number): string {
  let aStart = 0;
  let bStart = 0;
  for (let k = 0; k < from; k++) {
    const op = (ops[k] as DiffOp).op;
    if (op !== 'insert') aStart++;
    if (op !== 'delete') bStart++;
  }
  const body: string[] = [];
  let aLen = 0;
  let bLen = 0;
  for (let k = from; k < to; k++) {
    const o = ops[k] as DiffOp;
    if (o.op !== 'insert') aLen++;
    if (o.op !== 'delete') bLen++;
    const mark = o.op === 'equal' ? ' ' : o.op === 'delete' ? '-' : '+';
    body.push(mark + o.line + (o.line.endsWith('\n') ? '' : '\n\\ No newline at end of file\n'));
  }
  return `@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@\n${body.join('')}`;
}

/** `start,len` of a hunk side, 1-based; an empty side names the line before it; `,1` is left out. */
function range(linesBefore: number, len: number): string {
  if (len === 0) return `${linesBefore},0`;
  return len === 1 ? `${linesBefore + 1}` : `${linesBefore + 1},${len}`;
}

const C_ESCAPES: Record<string, string> = { '\u0007': 'a', '\b': 'b', '\t': 't', '\n': 'n', '\v': 'v', '\f': 'f', '\r': 'r', '"': '"', '\\': '\\' };

/**
 * A path as git prints it in a diff: C-quoted with octal UTF-8 bytes when it must be; `tab` ends
 * the ---/+++ lines of a name with a space (quoted or not), as git does for patch's sake.
 */
export function quotePath(p: string): { name: string; tab: string } {
  const tab = p.includes(' ') ? '\t' : '';
  if (!/["\\\u0000-\u001f\u007f-\uffff]/.test(p)) return { name: p, tab };
  let out = '"';
  for (const ch of p) {
    const esc = C_ESCAPES[ch];
    if (esc) out += `\\${esc}`;
    else if (ch >= ' ' && ch < '\u007f') out += ch;
    else for (const byte of Buffer.from(ch, 'utf8')) out += `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return { name: `${out}"`, tab };
}
