import { isSecretLongEnough, tokenShapeIn } from '../../util/secrets.js';

/** The environment a model-requested command gets, and what was taken out of it. */
export interface CommandEnv {
  env: Record<string, string>;
  /** Names removed (never their values), sorted. */
  dropped: string[];
}

// Whole families: the model providers' and assist's own (base URLs can carry credentials, and a
// test has no business talking to a model), and an editor's bridge to the person's git credentials.
const DROP_PREFIXES = ['ANTHROPIC_', 'OPENAI_', 'AZURE_OPENAI_', 'GEMINI_', 'GOOGLE_GEMINI_', 'GOOGLE_GENAI_', 'OLLAMA_', 'ASSIST_', 'VSCODE_GIT_'];

// Credential-shaped names (case-insensitive). `_KEY` also covers `_API_KEY`, `_ACCESS_KEY`, `_PRIVATE_KEY`.
const DROP_SUFFIXES = [
  '_KEY',
  '_APIKEY',
  '_TOKEN',
  '_AUTHTOKEN',
  '_AUTH',
  '_SECRET',
  '_SECRET_ACCESS_KEY',
  '_PASSWORD',
  '_PASSWD',
  '_PASS',
  '_PAT',
  '_CREDENTIAL',
  '_CREDENTIALS',
  '_COOKIE',
];

// Names that carry a credential without the usual suffix, or hand out the use of one (agent sockets).
const DROP_NAMES = new Set([
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'GOOGLE_GHA_CREDS_PATH',
  'CLOUDSDK_AUTH_ACCESS_TOKEN_FILE',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_FEDERATED_TOKEN_FILE',
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
  'ACTIONS_RUNTIME_TOKEN',
  'ACTIONS_CACHE_URL',
  'SSH_AUTH_SOCK',
  'GPG_AGENT_INFO',
  'GNUPGHOME',
  'NETRC',
  'DOCKER_AUTH_CONFIG',
  'NPM_CONFIG_USERCONFIG',
  'PYPI_PASSWORD',
  'TWINE_PASSWORD',
  'TWINE_USERNAME',
  'HF_TOKEN',
  'HUGGING_FACE_HUB_TOKEN',
  'CODECOV_TOKEN',
  'GIT_ASKPASS',
  'SSH_ASKPASS',
]);


/** Why a variable is removed from a command's environment, or null when it is kept. */
export function secretEnvReason(name: string, value: string | undefined, extraSecrets: readonly string[] = []): string | null {
  const upper = name.toUpperCase();
  if (DROP_NAMES.has(upper)) return 'name';
  for (const prefix of DROP_PREFIXES) if (upper.startsWith(prefix)) return `prefix ${prefix}`;
  for (const suffix of DROP_SUFFIXES) if (upper.endsWith(suffix)) return `suffix ${suffix}`;
  // Anywhere in the name: SECRET_KEY_BASE, DB_PASSWORD_FILE, GITLAB_TOKEN_URL (not TOKENIZERS_PARALLELISM).
  for (const part of ['SECRET', 'PASSWORD', 'PASSWD', '_TOKEN_']) if (upper.includes(part)) return `contains ${part}`;
  // npm reads registry credentials from `npm_config_//host/:_authToken` and `npm_config__auth`.
  if (upper.startsWith('NPM_CONFIG_') && /AUTH|PASSWORD|TOKEN|CERTFILE|KEYFILE/.test(upper)) return 'npm credential';
  if (value !== undefined) {
    // Values shaped like provider or forge keys (util/secrets.ts), whatever the variable is called.
    if (tokenShapeIn(value) !== null) return 'value looks like a key';
    for (const secret of extraSecrets) if (isSecretLongEnough(secret) && value.includes(secret)) return 'value holds a known secret';
  }
  return null;
}

/**
 * The environment for a command the model asked for (DESIGN.md §7): the caller's environment
 * without provider keys, tokens, passwords, cloud credentials or agent sockets. Everything
 * else (PATH, HOME, LANG, LC_*, TERM, toolchain variables) is kept so tests still find their tools.
 * `extraSecrets` are values known to be secret (e.g. the output of `api_key_cmd`): any variable
 * whose value contains one is dropped as well.
 */
export function commandEnv(source: NodeJS.ProcessEnv, extraSecrets: readonly string[] = []): CommandEnv {
  const env: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (secretEnvReason(name, value, extraSecrets) !== null) dropped.push(name);
    else env[name] = value;
  }
  dropped.sort();
  return { env, dropped };
}
