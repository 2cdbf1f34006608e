import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { getStaticTOMLValue, parseTOML } from 'toml-eslint-parser';
import { describe, expect, it } from 'vitest';
import { ANY_NAME, configJsonSchema, MODEL_NAME_PATTERN, type JsonSchema } from './json-schema.js';
import { KEYS, PROVIDERS } from './schema.js';
import { parseConfigText } from './toml-file.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const schema = configJsonSchema();

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: true });
  // Our annotation for trust-sensitive keys: editors ignore it, ajv's strict mode wants it declared.
  ajv.addKeyword({ keyword: 'x-needs-trust', schemaType: 'boolean' });
  return ajv.compile(schema);
}
const validate = validator();

/** The schema of a concrete key path (`llm.openai.base_url`, `models."a/b".max_output`). */
function schemaAt(path: readonly string[]): JsonSchema | undefined {
  let node: JsonSchema | undefined = schema;
  for (const segment of path) {
    if (!node) return undefined;
    if (node.type === 'array') node = /^\d+$/.test(segment) ? node.items : undefined;
    else node =
      node.properties?.[segment] ??
      (node.patternProperties && new RegExp(MODEL_NAME_PATTERN).test(segment) ? node.patternProperties[MODEL_NAME_PATTERN] : undefined) ??
      (segment === '*' ? node.patternProperties?.[ANY_NAME] : undefined);
  }
  return node;
}

/** The ```toml blocks of the README and docs/: the project's own examples. */
function documentedExamples(): Array<[string, string]> {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const examples: Array<[string, string]> = [];
  for (const file of files) {
    const text = readFileSync(join(root, file), 'utf8');
    let n = 0;
    for (const [, body] of text.matchAll(/^```toml\n([\s\S]*?)^```/gm)) examples.push([`${file} example ${++n}`, body as string]);
  }
  return examples;
}

function fixtureExamples(): Array<[string, string]> {
  const dir = join(root, 'fixtures', 'config');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.toml'))
    .map((f) => [`fixtures/config/${f}`, readFileSync(join(dir, f), 'utf8')]);
}

const toJson = (toml: string): unknown => getStaticTOMLValue(parseTOML(toml));

describe('the config JSON Schema', () => {
  it('has every key of the table, with its type, bounds, values, default and trust', () => {
    for (const def of KEYS) {
      const parts = def.key.split('.');
      const concrete = parts[0] === 'llm' ? PROVIDERS.map((p) => ['llm', p, ...parts.slice(2)]) : parts[0] === 'models' ? [['models', 'openai/gpt-4.1', ...parts.slice(2)]] : parts[0] === 'agent_hooks' ? [['agent_hooks', 'pre_tool', '0', ...parts.slice(3)]] : [parts];
      for (const path of concrete) {
        const node = schemaAt(path);
        expect(node, path.join('.')).toBeDefined();
        const expectedType = { string: 'string', enum: 'string', bool: 'boolean', int: 'integer', float: 'number', 'string-list': 'array' }[def.type.kind];
        expect(node?.type, def.key).toBe(expectedType);
        if (def.type.kind === 'enum') expect(node?.enum).toEqual(def.type.values);
        if ((def.type.kind === 'int' || def.type.kind === 'float') && def.type.min !== undefined) expect(node?.minimum, def.key).toBe(def.type.min);
        if (def.type.kind === 'float' && def.type.max !== undefined) expect(node?.maximum, def.key).toBe(def.type.max);
        expect(node?.default, def.key).toEqual(def.default);
        expect(node?.description, def.key).toContain(def.description);
        expect(node?.['x-needs-trust'], def.key).toBe(def.needsTrust ? true : undefined);
        if (def.needsTrust) expect(node?.description).toContain('assist trust');
      }
    }
  });

  it('allows no other key (assist refuses unknown keys)', () => {
    const leaves: string[] = [];
    const visit = (node: JsonSchema, path: string[]): void => {
      if (node.type === 'object') {
        expect(node.additionalProperties, path.join('.') || 'top level').toBe(false);
        for (const [name, child] of Object.entries(node.properties ?? {})) visit(child, [...path, name]);
        for (const child of Object.values(node.patternProperties ?? {})) visit(child, [...path, '*']);
      } else if (node.type === 'array' && node.items?.type === 'object') {
        visit(node.items, [...path, '*']);
      } else {
        leaves.push(path.map((p, i) => ((path[0] === 'llm' || path[0] === 'agent_hooks') && i === 1 ? '*' : p)).join('.'));
      }
    };
    visit(schema, []);
    expect([...new Set(leaves)].sort()).toEqual(KEYS.map((d) => d.key).sort());
  });

  const examples = [...documentedExamples(), ...fixtureExamples()];
  it('the project has examples to check', () => {
    expect(documentedExamples().length).toBeGreaterThanOrEqual(2);
    expect(fixtureExamples().length).toBeGreaterThanOrEqual(2);
  });

  it.each(examples)('%s validates, and assist reads it', async (name, toml) => {
    const ok = validate(toJson(toml));
    expect(validate.errors ?? [], name).toEqual([]);
    expect(ok).toBe(true);
    await expect(parseConfigText(toml, name)).resolves.toBeDefined();
  });

  // Each is refused by the schema and by assist alike, so the schema is neither looser nor stricter.
  const wrong: Array<[string, string]> = [
    ['an unknown key', 'mdoel = "x"\n'],
    ['an unknown key in a table', '[context]\nmap_token = 10\n'],
    ['a string for an int', '[context]\nmap_tokens = "big"\n'],
    ['a float for an int', '[session]\nmax_steps = 2.5\n'],
    ['below the minimum', '[session]\nmax_steps = 0\n'],
    ['above the maximum', '[context]\ncompression_threshold = 1.5\n'],
    ['a value outside the enum', '[context]\nstrategy = "everything"\n'],
    ['a string for a list', 'fallback = "openai/gpt-4.1"\n'],
    ['a number in a list', '[sandbox]\nwrite_paths = ["src", 3]\n'],
    ['an unknown provider', '[llm.mistral]\nbase_url = "http://x"\n'],
    ['a model name without a provider', '[models.gpt4]\ncontext_window = 1000\n'],
    ['a boolean as a string', '[test]\nauto = "yes"\n'],
    ['an unknown agent hook event', '[[agent_hooks.pre_tools]]\ncommand = "x"\n'],
    ['an agent hook without a command', '[[agent_hooks.pre_tool]]\nmatch = "run_command"\n'],
    ['an unknown agent hook field', '[[agent_hooks.stop]]\ncommand = "x"\ntimeout = 3\n'],
  ];
  it.each(wrong)('refuses %s, as assist does', async (name, toml) => {
    expect(validate(toJson(toml)), name).toBe(false);
    await expect(parseConfigText(toml, 'x.toml')).rejects.toThrow();
  });
});
