import { MIN_SECRET_LENGTH, REDACTED, SECRET_ENV_NAME, redactShapes, secretValuesFromEnv } from '../util/secrets.js';

export { MIN_SECRET_LENGTH, REDACTED, SECRET_ENV_NAME, secretValuesFromEnv };

/**
 * Removes secrets from text and values before they are written anywhere (logs, audit log, notes,
 * error messages). One scrubber per process; share it.
 */
export interface Scrubber {
  /** The text with every known secret value and every key-shaped token replaced by `[redacted]`. */
  scrub(text: string): string;
  /**
   * Only the known secret values (and their JSON- and URL-encoded forms): safe on structured text
   * such as a finished JSON line, where the shape patterns could cut across quotes.
   */
  scrubSecrets(text: string): string;
  /**
   * A JSON-safe deep copy of `value` with every string (keys included) scrubbed, values under
   * credential-named keys (`api_key`, `authorization`, `password`, ...) redacted whole, Errors
   * turned into plain objects (name, message, code, stack, cause, own fields), cycles cut.
   */
  scrubValue(value: unknown, options?: ScrubValueOptions): unknown;
  /** Adds a secret learned at run time, e.g. the key printed by `api_key_cmd`. */
  addSecret(value: string): void;
  /** How many literal secret values are known (never the values themselves). */
  readonly size: number;
}

/** Limits of {@link Scrubber.scrubValue}. */
export interface ScrubValueOptions {
  /** Strings longer than this are cut (after scrubbing, so a cut never exposes half a secret). */
  maxString?: number;
  /** Deeper nesting becomes `"[depth]"`. Default 8. */
  maxDepth?: number;
  /** Longer arrays keep their first items and a marker. Default 200. */
  maxItems?: number;
}

/** Extra secrets for {@link createScrubber}. */
export interface ScrubberOptions {
  /** More literal secrets to hide, besides those found in `env`. */
  secrets?: readonly string[];
}

// Object keys whose values are credentials whatever they look like (compared without `-`/`_`, lower case).
const SECRET_KEYS = new Set([
  'apikey',
  'xapikey',
  'authorization',
  'proxyauthorization',
  'password',
  'passwd',
  'secret',
  'token',
  'accesstoken',
  'refreshtoken',
  'clientsecret',
  'privatekey',
  'cookie',
  'setcookie',
]);

function isSecretKey(key: string): boolean {
  if (SECRET_KEYS.has(key.replace(/[-_]/g, '').toLowerCase())) return true;
  // Env-style names only: a log field such as `first_token` is not a credential.
  return /^[A-Z0-9_]+$/.test(key) && SECRET_ENV_NAME.test(key);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The forms a secret takes once embedded in JSON or a URL, besides itself. */
function variants(secret: string): string[] {
  const forms = new Set([secret]);
  forms.add(JSON.stringify(secret).slice(1, -1));
  forms.add(encodeURIComponent(secret));
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/**
 * A scrubber for this environment: hides the values of `*_API_KEY`, `*_TOKEN`, `*_SECRET`,
 * `*PASSWORD` (and the like, see {@link SECRET_ENV_NAME}) variables set in `env`, any extra
 * `secrets`, and credential-shaped tokens (the table in util/secrets.ts).
 */
export function createScrubber(env: NodeJS.ProcessEnv = process.env, options: ScrubberOptions = {}): Scrubber {
  const literals = new Set<string>();
  let literalRegex: RegExp | null = null;

  const rebuild = (): void => {
    const forms = [...literals].flatMap(variants);
    // Longest first, so a secret that contains another is replaced whole.
    forms.sort((a, b) => b.length - a.length);
    literalRegex = forms.length === 0 ? null : new RegExp(forms.map(escapeRegExp).join('|'), 'g');
  };

  const add = (value: string): boolean => {
    const trimmed = value.trim();
    if (trimmed.length < MIN_SECRET_LENGTH || literals.has(trimmed)) return false;
    literals.add(trimmed);
    return true;
  };

  for (const value of secretValuesFromEnv(env)) add(value);
  for (const value of options.secrets ?? []) add(value);
  rebuild();

  const scrubSecrets = (text: string): string => (literalRegex === null ? text : text.replace(literalRegex, REDACTED));

  const scrub = (text: string): string => {
    return redactShapes(scrubSecrets(text));
  };

  const scrubValue = (value: unknown, valueOptions: ScrubValueOptions = {}): unknown => {
    const maxString = valueOptions.maxString ?? Number.POSITIVE_INFINITY;
    const maxDepth = valueOptions.maxDepth ?? 8;
    const maxItems = valueOptions.maxItems ?? 200;
    const seen = new WeakSet<object>();

    const str = (text: string): string => {
      const clean = scrub(text);
      return clean.length > maxString ? `${clean.slice(0, maxString)}…[${clean.length - maxString} more chars]` : clean;
    };

    const walk = (input: unknown, depth: number): unknown => {
      switch (typeof input) {
        case 'string':
          return str(input);
        case 'number':
          return Number.isFinite(input) ? input : String(input);
        case 'boolean':
        case 'undefined':
          return input;
        case 'bigint':
          return input.toString();
        case 'symbol':
          return str(input.toString());
        case 'function':
          return `[function ${input.name || 'anonymous'}]`;
      }
      if (input === null) return null;
      const object = input as object;
      if (seen.has(object)) return '[circular]';
      if (depth >= maxDepth) return '[depth]';
      if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
      if (object instanceof URL) return str(object.href);
      if (object instanceof RegExp) return str(String(object));
      if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) return `[binary ${object.byteLength} bytes]`;
      seen.add(object);
      try {
        if (Array.isArray(object) || object instanceof Set) {
          const items = [...(object as Iterable<unknown>)];
          const out = items.slice(0, maxItems).map((item) => walk(item, depth + 1));
          if (items.length > maxItems) out.push(`[${items.length - maxItems} more items]`);
          return out;
        }
        const out: Record<string, unknown> = {};
        const put = (key: string, item: unknown): void => {
          const cleanKey = str(key);
          out[cleanKey] = isSecretKey(key) && item !== undefined && item !== null && item !== '' ? REDACTED : walk(item, depth + 1);
        };
        if (object instanceof Map) {
          for (const [key, item] of object) put(String(key), item);
          return out;
        }
        if (object instanceof Error) {
          out.name = str(object.name);
          out.message = str(object.message);
          for (const [key, item] of Object.entries(object)) if (key !== 'clipanion') put(key, item);
          if (object.stack !== undefined) out.stack = str(object.stack);
          if (object.cause !== undefined) out.cause = walk(object.cause, depth + 1);
          if (object instanceof AggregateError) out.errors = walk(object.errors, depth + 1);
          return out;
        }
        const withToJSON = object as { toJSON?: unknown };
        if (typeof withToJSON.toJSON === 'function') {
          const json: unknown = (withToJSON.toJSON as () => unknown).call(object);
          if (json !== object) return walk(json, depth);
        }
        for (const [key, item] of Object.entries(object)) put(key, item);
        return out;
      } finally {
        seen.delete(object);
      }
    };

    return walk(value, 0);
  };

  return {
    scrub,
    scrubSecrets,
    scrubValue,
    addSecret(value) {
      if (add(value)) rebuild();
    },
    get size() {
      return literals.size;
    },
  };
}
