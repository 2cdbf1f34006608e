/** One property of a tool's flat JSON schema. */
export interface ParamSchema {
  type: 'string' | 'integer' | 'boolean' | 'array';
  description: string;
  /** For `array`: the element type (only strings are used). */
  items?: { type: 'string' };
  /** For `integer`: inclusive bounds. */
  minimum?: number;
  maximum?: number;
}

/** The `parameters` of every built-in tool: an object of flat properties, nothing else allowed. */
// A type alias, not an interface: it must be assignable to `ToolSpec.parameters` (a plain record).
export type ObjectSchema = {
  type: 'object';
  properties: Record<string, ParamSchema>;
  required?: string[];
  additionalProperties: false;
};

/** Builds a tool's parameter schema; `required` lists the properties without a `?`. */
export function objectSchema(properties: Record<string, ParamSchema>, required: string[] = []): ObjectSchema {
  return required.length > 0 ? { type: 'object', properties, required, additionalProperties: false } : { type: 'object', properties, additionalProperties: false };
}

export type ArgsCheck = { ok: true; args: Record<string, unknown> } | { ok: false; message: string };

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function expected(schema: ParamSchema): string {
  if (schema.type === 'array') return 'an array of strings';
  return schema.type === 'integer' ? 'an integer' : `a ${schema.type}`;
}

function checkOne(name: string, schema: ParamSchema, value: unknown): string | null {
  const wrong = (): string => `"${name}" must be ${expected(schema)}, got ${kindOf(value)} (${shown(value)})`;
  switch (schema.type) {
    case 'string':
      return typeof value === 'string' ? null : wrong();
    case 'boolean':
      return typeof value === 'boolean' ? null : wrong();
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return wrong();
      if (schema.minimum !== undefined && value < schema.minimum) return `"${name}" must be at least ${schema.minimum}, got ${value}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `"${name}" must be at most ${schema.maximum}, got ${value}`;
      return null;
    }
    case 'array': {
      if (!Array.isArray(value)) return wrong();
      const bad = value.findIndex((item) => typeof item !== 'string');
      return bad === -1 ? null : `"${name}" must be an array of strings; item ${bad} is ${kindOf(value[bad])}`;
    }
  }
}

/**
 * Checks a call's parsed arguments against a tool's flat schema: required properties present,
 * no unknown ones, each of the declared type and within its bounds. A `null` for an optional
 * property counts as absent (models that fill every field send null for the ones they skip).
 * The message is one sentence telling the model what to fix.
 */
export function checkArgs(tool: string, schema: ObjectSchema, value: unknown): ArgsCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: `The arguments of ${tool} must be a JSON object, got ${kindOf(value)}.` };
  }
  const names = Object.keys(schema.properties);
  const required = new Set(schema.required ?? []);
  const args: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, arg] of Object.entries(value as Record<string, unknown>)) {
    const prop = schema.properties[name];
    if (prop === undefined || !Object.hasOwn(schema.properties, name)) {
      problems.push(`unknown argument "${name}" (${names.length > 0 ? `the arguments are ${names.join(', ')}` : 'it takes no arguments'})`);
      continue;
    }
    if (arg === null && !required.has(name)) continue;
    const problem = checkOne(name, prop, arg);
    if (problem !== null) problems.push(problem);
    else args[name] = arg;
  }
  for (const name of required) {
    if (!Object.hasOwn(value, name)) problems.push(`missing required argument "${name}" (${expected(schema.properties[name] ?? { type: 'string', description: '' })})`);
  }
  if (problems.length > 0) return { ok: false, message: `Invalid arguments for ${tool}: ${problems.join('; ')}.` };
  return { ok: true, args };
}
