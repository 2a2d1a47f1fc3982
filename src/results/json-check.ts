// Checks a JSON answer: it parses to an object and, given a schema, satisfies it (ajv, loaded lazily).

export type JsonCheck = { ok: true; value: Record<string, unknown> } | { ok: false; problem: string };

export async function checkJsonAnswer(text: string, schema: Record<string, unknown> | undefined): Promise<JsonCheck> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, problem: `it is not valid JSON (${(err as Error).message})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: 'it is not a JSON object' };
  if (!schema) return { ok: true, value: value as Record<string, unknown> };
  const validate = await compileSchema(schema);
  if (validate(value)) return { ok: true, value: value as Record<string, unknown> };
  const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
  return { ok: false, problem: `it does not satisfy the schema: ${errors.join('; ')}` };
}

type Validator = ((v: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };

export async function compileSchema(schema: Record<string, unknown>): Promise<Validator> {
  const m = await import('ajv');
  const Ajv = 'Ajv' in m ? m.Ajv : (m as unknown as { default: typeof import('ajv') }).default.Ajv; // bundled CommonJS: under default
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(schema) as Validator;
}
