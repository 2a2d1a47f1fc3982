// The answer a diff request asks for: its JSON Schema (sent as json_schema to the models whose
// table entry documents it, else JSON Mode with the shape in the prompt), and a local check that
// says what is wrong in words the retry message can quote. Pure.
//
// The check is written by hand rather than run through ajv (results/json-check.ts): the shape
// is small, the words are clearer ("changes[1].kind is "colour": it must be one of …"), it is
// synchronous, and it holds rules a strict schema cannot (as_expected must be null without
// --expect; no changes listed when changed is false). test/unit/diff-answer.test.ts runs both
// over the same answers to keep them in agreement.
import { findModel } from '../models.js';

export const CHANGE_KINDS = ['layout', 'text', 'color', 'content', 'other'] as const;
type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface DiffChange {
  where: string;
  what: string;
  kind: ChangeKind;
}

export interface DiffAnswer {
  changed: boolean;
  summary: string;
  changes: DiffChange[];
  /** Whether the --expect change happened and nothing else changed; null without --expect. */
  as_expected: boolean | null;
}

/** The JSON Schema of the answer; `expecting` is whether --expect was given (as_expected boolean, else null). */
export function diffAnswerSchema(expecting: boolean): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['changed', 'summary', 'changes', 'as_expected'],
    properties: {
      changed: { type: 'boolean' },
      summary: { type: 'string' },
      changes: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['where', 'what', 'kind'],
          properties: { where: { type: 'string' }, what: { type: 'string' }, kind: { type: 'string', enum: [...CHANGE_KINDS] } },
        },
      },
      as_expected: { type: expecting ? 'boolean' : 'null' },
    },
  };
}

/** The response_format of a diff request to `model`. */
export function diffResponseFormat(model: string, expecting: boolean): Record<string, unknown> {
  if (!findModel(model)?.jsonSchema) return { type: 'json_object' };
  return { type: 'json_schema', json_schema: { name: 'visual_diff', schema: diffAnswerSchema(expecting), strict: true } };
}

export type DiffCheck = { ok: true; answer: DiffAnswer } | { ok: false; problem: string };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown): string => (v === undefined ? 'missing' : `${JSON.stringify(v)?.slice(0, 40) ?? String(v)}`);

/**
 * The answer text as a DiffAnswer, or the first few problems in words. Keys the shape does not
 * have are dropped rather than refused: they harm nothing, and a retry costs a request.
 */
export function checkDiffAnswer(text: string, expecting: boolean): DiffCheck {
  let value: unknown;
  try {
    value = JSON.parse(unfence(text));
  } catch (err) {
    return { ok: false, problem: `it is not valid JSON (${(err as Error).message})` };
  }
  if (!isObj(value)) return { ok: false, problem: 'it is not a JSON object' };
  const problems: string[] = [];
  const want = (ok: boolean, line: string) => {
    if (!ok) problems.push(line);
  };
  want(typeof value.changed === 'boolean', `"changed" is ${shown(value.changed)}: it must be true or false`);
  want(typeof value.summary === 'string', `"summary" is ${shown(value.summary)}: it must be a string`);
  const changes: DiffChange[] = [];
  if (!Array.isArray(value.changes)) {
    problems.push(`"changes" is ${shown(value.changes)}: it must be an array of {"where", "what", "kind"} objects`);
  } else {
    value.changes.forEach((c: unknown, i) => {
      const at = `changes[${i}]`;
      if (!isObj(c)) {
        problems.push(`${at} is ${shown(c)}: it must be an object with "where", "what" and "kind"`);
        return;
      }
      want(typeof c.where === 'string', `${at}.where is ${shown(c.where)}: it must be a string`);
      want(typeof c.what === 'string', `${at}.what is ${shown(c.what)}: it must be a string`);
      const kind = CHANGE_KINDS.find((k) => k === c.kind);
      want(kind !== undefined, `${at}.kind is ${shown(c.kind)}: it must be one of ${CHANGE_KINDS.join(', ')}`);
      if (typeof c.where === 'string' && typeof c.what === 'string' && kind) changes.push({ where: c.where, what: c.what, kind });
    });
  }
  if (expecting) want(typeof value.as_expected === 'boolean', `"as_expected" is ${shown(value.as_expected)}: it must be true or false (an expected change was given)`);
  else want(value.as_expected === null, `"as_expected" is ${shown(value.as_expected)}: it must be null (no expected change was given)`);
  if (value.changed === false && changes.length > 0) problems.push('"changed" is false but "changes" lists changes; list none, or say changed is true');
  if (problems.length > 0) return { ok: false, problem: problems.slice(0, 5).join('; ') };
  return { ok: true, answer: { changed: value.changed as boolean, summary: value.summary as string, changes, as_expected: value.as_expected as boolean | null } };
}

/** JSON Mode answers are bare JSON, but a model without it may wrap the object in a ```json fence. */
function unfence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  return m ? (m[1] as string) : text;
}
