/**
 * The one table of what a credential looks like, for every place that hides them: log and error
 * scrubbing (obs/scrub.ts, llm/scrub.ts), the audit log, and the environment a model-requested
 * command gets (sandbox/commands/env.ts). Add a shape here and all of them know it.
 */

/** What replaces a secret wherever it is found. */
export const REDACTED = '[redacted]';

/**
 * Known secret values (from credential variables, `api_key_cmd`) shorter than this are not
 * redacted or matched: 8 is the shortest password most services accept (and NIST SP 800-63B's
 * minimum), every provider key is far longer, and shorter values (`dev`, `test`, `admin1`) would
 * redact ordinary words all over logs while hiding almost nothing.
 */
export const MIN_SECRET_LENGTH = 8;

/** Env variable names whose values are secrets: `*_KEY`, `*_API_KEY`, `*_TOKEN`, `*_SECRET`, `*PASSWORD`, `*PASSWD`. */
export const SECRET_ENV_NAME = /(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|ACCESS_KEY|PRIVATE_KEY)$|PASS(?:WORD|WD)$/i;

/** One credential shape. */
export interface SecretShape {
  name: string;
  /** Global; what `replace` keeps of a match is in its groups. */
  pattern: RegExp;
  replace: string;
  /** A whole token (a value that is a credential by itself), as opposed to `name=value` context. */
  token: boolean;
  /** Lower-case substrings one of which every match contains: a text with none skips the pattern. */
  hints: readonly string[];
}

export const SECRET_SHAPES: readonly SecretShape[] = [
  { name: 'PEM private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, replace: REDACTED, token: true, hints: ['private key'] },
  // OpenAI (sk-, sk-proj-) and Anthropic (sk-ant-); `*` for the masked form a 401 echoes.
  { name: 'OpenAI / Anthropic key', pattern: /\bsk-[A-Za-z0-9][A-Za-z0-9_*-]{9,}/g, replace: REDACTED, token: true, hints: ['sk-'] },
  { name: 'GitHub token', pattern: /\bgh[pousr]_[A-Za-z0-9]{20,}/g, replace: REDACTED, token: true, hints: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'] },
  { name: 'GitHub fine-grained token', pattern: /\bgithub_pat_[A-Za-z0-9_]{20,}/g, replace: REDACTED, token: true, hints: ['github_pat_'] },
  { name: 'GitLab token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g, replace: REDACTED, token: true, hints: ['glpat-'] },
  { name: 'npm token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g, replace: REDACTED, token: true, hints: ['npm_'] },
  { name: 'Hugging Face token', pattern: /\bhf_[A-Za-z0-9]{30,}/g, replace: REDACTED, token: true, hints: ['hf_'] },
  { name: 'AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: REDACTED, token: true, hints: ['akia', 'asia'] },
  { name: 'Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}/g, replace: REDACTED, token: true, hints: ['aiza'] },
  { name: 'Slack token', pattern: /\bxox[abeoprs]-[A-Za-z0-9-]{10,}/g, replace: REDACTED, token: true, hints: ['xox'] },
  // A credential has a digit, a symbol or mixed case; "Bearer tokens" or "Basic authentication" in prose does not.
  {
    name: 'Bearer / Basic credentials',
    pattern: /\b([Bb]earer|[Bb]asic|BEARER|BASIC)(\s+)(?=[A-Za-z0-9._~+/=-]*(?:[0-9_~+/=]|[a-z][A-Z]))[A-Za-z0-9._~+/=-]{6,}/g,
    replace: `$1$2${REDACTED}`,
    token: false,
    hints: ['bearer', 'basic'],
  },
  {
    name: 'credential header',
    pattern: /\b(authorization|proxy-authorization|x-api-key|api-key|x-goog-api-key)(["']?\s*[:=]\s*["']?)(?!Bearer\b|Basic\b|\[redacted\])([^\s"',;&]+)/gi,
    replace: `$1$2${REDACTED}`,
    token: false,
    hints: ['authorization', 'api-key'],
  },
  {
    name: 'credential parameter',
    pattern: /\b(api[_-]?key|access[_-]?token|refresh[_-]?token|client[_-]?secret|token|secret|password|passwd)=(?!\[redacted\])([^&\s"'#]+)/gi,
    replace: `$1=${REDACTED}`,
    token: false,
    hints: ['key=', 'token=', 'secret=', 'password=', 'passwd='],
  },
  // Env-style assignments (`GITLAB_TOKEN=…`, `DB_PASSWORD: …`): upper case only, so prose is left alone.
  {
    name: 'credential variable',
    pattern: /\b([A-Z][A-Z0-9_]*(?:_KEY|_TOKEN|_SECRET|PASSWORD|PASSWD))(\s*[=:]\s*["']?)(?!\[redacted\])([^\s"'&,;]+)/g,
    replace: `$1$2${REDACTED}`,
    token: false,
    hints: ['_key', '_token', '_secret', 'password', 'passwd'],
  },
  { name: 'URL password', pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]+):([^@\s/]+)@/gi, replace: `$1:${REDACTED}@`, token: false, hints: ['://'] },
];

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const HINTS = new RegExp(SECRET_SHAPES.flatMap((s) => s.hints).map(escape).join('|'), 'i');
const TOKENS = SECRET_SHAPES.filter((s) => s.token).map((s) => new RegExp(s.pattern.source, s.pattern.flags.replace('g', '')));

/** Replaces every credential-shaped token and `name=value` credential in `text`. */
export function redactShapes(text: string): string {
  // One cheap test spares most strings (model names, paths, numbers) the pattern passes.
  if (text.length < 8 || !HINTS.test(text)) return text;
  let out = text;
  for (const shape of SECRET_SHAPES) out = out.replace(shape.pattern, shape.replace);
  return out;
}

/** The name of the token shape `value` contains (a provider key, a PEM block, ...), or null. */
export function tokenShapeIn(value: string): string | null {
  if (!HINTS.test(value)) return null;
  const index = TOKENS.findIndex((pattern) => pattern.test(value));
  return index === -1 ? null : (SECRET_SHAPES.filter((s) => s.token)[index]?.name ?? null);
}

/** The values of the environment's credential variables (names per {@link SECRET_ENV_NAME}), trimmed, long enough to count. */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !SECRET_ENV_NAME.test(name)) continue;
    const trimmed = value.trim();
    if (trimmed.length >= MIN_SECRET_LENGTH) values.push(trimmed);
  }
  return values;
}

/** Whether a known secret is long enough to be matched (see {@link MIN_SECRET_LENGTH}). */
export function isSecretLongEnough(value: string): boolean {
  return value.trim().length >= MIN_SECRET_LENGTH;
}
