import { AGENT_HOOK_EVENTS, KEYS, PROVIDERS, type KeyDef, type KeyType } from './schema.js';

/** A JSON Schema (draft-07) node, as much of it as the config needs. */
export interface JsonSchema {
  $schema?: string;
  title?: string;
  description?: string;
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array';
  properties?: Record<string, JsonSchema>;
  patternProperties?: Record<string, JsonSchema>;
  additionalProperties?: boolean;
  required?: readonly string[];
  items?: JsonSchema;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  /** The key is ignored in an untrusted project `.assist.toml` (DESIGN.md §5 "Trust"). */
  'x-needs-trust'?: true;
}

/** Names the person chooses (MCP servers, their variables and headers): any non-empty key. */
export const ANY_NAME = '^.+$';

/** The model names `models."<provider/model>"` accepts: the same test as `findKeyDef`. */
export const MODEL_NAME_PATTERN = '^[a-z0-9-]+/.+';

const SECTION_DESCRIPTIONS: Record<string, string> = {
  llm: 'per provider: endpoint, key and timeout',
  models: 'model registry overrides, by "provider/model" (prices per million tokens)',
  context: 'what the model is shown: repo map, history compression, file limits',
  session: 'the chat and tool loop',
  tools: 'the tools the model calls',
  approval: 'what needs a person to say yes',
  sandbox: 'where the model may read and write, and how its commands are confined',
  git: 'session branches and checkpoints',
  test: 'the test command',
  summaries: 'per-file summaries kept fresh by the git hooks',
  agent_hooks: 'commands run on the agent\'s events ([[agent_hooks.<event>]], DESIGN.md §6b); not the git hooks',
  log: 'the structured log',
  metrics: 'metrics in Prometheus text format',
};

const TRUST_NOTE = ' (in a project .assist.toml, ignored until `assist trust`)';

function valueSchema(type: KeyType): JsonSchema {
  switch (type.kind) {
    case 'string':
      return { type: 'string' };
    case 'bool':
      return { type: 'boolean' };
    case 'int':
      return { type: 'integer', ...(type.min !== undefined ? { minimum: type.min } : {}) };
    case 'float':
      return { type: 'number', ...(type.min !== undefined ? { minimum: type.min } : {}), ...(type.max !== undefined ? { maximum: type.max } : {}) };
    case 'string-list':
      return { type: 'array', items: { type: 'string' } };
    case 'enum':
      return { type: 'string', enum: type.values };
  }
}

function keySchema(def: KeyDef): JsonSchema {
  return {
    ...valueSchema(def.type),
    description: def.description + (def.needsTrust ? TRUST_NOTE : ''),
    ...(def.default !== undefined ? { default: def.default } : {}),
    ...(def.needsTrust ? { 'x-needs-trust': true as const } : {}),
  };
}

function table(description?: string): JsonSchema {
  return { type: 'object', ...(description ? { description } : {}), properties: {}, additionalProperties: false };
}

/** The table at `path` under `root`, made on the way (`*` segments must be expanded before). */
function tableAt(root: JsonSchema, path: readonly string[]): JsonSchema {
  let node = root;
  for (const segment of path) {
    const properties = (node.properties ??= {});
    node = properties[segment] ??= table(node === root ? SECTION_DESCRIPTIONS[segment] : undefined);
  }
  return node;
}

/**
 * The JSON Schema of both config files, generated from the key table (src/config/schema.ts), so
 * editors with a TOML language server (Taplo, Even Better TOML) check and complete them. Unknown
 * keys are errors in assist, hence `additionalProperties: false` on every table.
 */
export function configJsonSchema(): JsonSchema {
  const root: JsonSchema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'assist configuration',
    description: 'assist config: the project .assist.toml and the user $XDG_CONFIG_HOME/assist/config.toml (DESIGN.md §5)',
    type: 'object',
    properties: {},
    additionalProperties: false,
  };
  for (const def of KEYS) {
    const parts = def.key.split('.');
    const name = parts.at(-1) as string;
    if (parts[0] === 'llm' && parts[1] === '*') {
      for (const provider of PROVIDERS) {
        const t = tableAt(root, ['llm', provider]);
        t.description = `settings of the ${provider} provider`;
        (t.properties ??= {})[name] = keySchema(def);
      }
    } else if (parts[0] === 'models' && parts[1] === '*') {
      const models = tableAt(root, ['models']);
      delete models.properties;
      const model = ((models.patternProperties ??= {})[MODEL_NAME_PATTERN] ??= table('overrides for one model'));
      (model.properties ??= {})[name] = keySchema(def);
    } else if (parts[0] === 'mcp' && parts[1] === 'servers' && parts[2] === '*') {
      // Server names are the person's own; `env.*` and `headers.*` are maps of strings.
      const servers = tableAt(root, ['mcp', 'servers']);
      delete servers.properties;
      const server = ((servers.patternProperties ??= {})[ANY_NAME] ??= table('one MCP server (DESIGN.md §4 "MCP")'));
      if (parts.length === 5 && parts[4] === '*') {
        const map = ((server.properties ??= {})[parts[3] as string] ??= table(def.description));
        (map.patternProperties ??= {})[ANY_NAME] = keySchema(def);
      } else {
        (server.properties ??= {})[name] = keySchema(def);
      }
    } else if (parts[0] === 'agent_hooks') {
      // `[[agent_hooks.<event>]]`: an array of tables per event, each with a command.
      for (const event of AGENT_HOOK_EVENTS) {
        const section = tableAt(root, ['agent_hooks']);
        const list = ((section.properties ??= {})[event] ??= { type: 'array', description: `hooks run on ${event}`, items: { ...table(), required: ['command'] } });
        ((list.items as JsonSchema).properties ??= {})[name] = keySchema(def);
      }
    } else {
      (tableAt(root, parts.slice(0, -1)).properties ??= {})[name] = keySchema(def);
    }
  }
  return root;
}
