import { describe, expect, it } from 'vitest';
import { commandEnv, secretEnvReason } from './env.js';

describe('secretEnvReason', () => {
  const dropped: Array<[string, string]> = [
    ['ANTHROPIC_API_KEY', 'x'],
    ['ANTHROPIC_BASE_URL', 'https://user:pw@proxy.example'],
    ['ANTHROPIC_AUTH_TOKEN', 'x'],
    ['OPENAI_API_KEY', 'x'],
    ['OPENAI_ORG_ID', 'org-1'],
    ['AZURE_OPENAI_ENDPOINT', 'https://x'],
    ['OLLAMA_HOST', 'http://127.0.0.1:11434'],
    ['GEMINI_API_KEY', 'x'],
    ['GOOGLE_API_KEY', 'x'],
    ['GOOGLE_GEMINI_BASE_URL', 'https://user:pw@proxy.example'],
    ['GOOGLE_GENAI_USE_VERTEXAI', 'true'],
    ['ASSIST_MODEL', 'anthropic/claude'],
    ['GITHUB_TOKEN', 'x'],
    ['GH_TOKEN', 'x'],
    ['NPM_TOKEN', 'x'],
    ['GITLAB_PAT', 'x'],
    ['npm_config_//registry.npmjs.org/:_authToken', 'x'],
    ['NPM_CONFIG__AUTH', 'x'],
    ['AWS_ACCESS_KEY_ID', 'x'],
    ['AWS_SECRET_ACCESS_KEY', 'x'],
    ['AWS_SESSION_TOKEN', 'x'],
    ['GOOGLE_APPLICATION_CREDENTIALS', '/home/me/key.json'],
    ['STRIPE_SECRET', 'x'],
    ['SECRET_KEY_BASE', 'x'],
    ['DB_PASSWORD_FILE', '/run/secrets/db'],
    ['CI_JOB_TOKEN_URL', 'x'],
    ['DB_PASSWORD', 'x'],
    ['MYSQL_PWD_PASS', 'x'],
    ['SOME_PRIVATE_KEY', 'x'],
    ['my_api_key', 'x'],
    ['SSH_AUTH_SOCK', '/tmp/ssh-agent.sock'],
    ['GIT_ASKPASS', '/usr/lib/code/askpass.sh'],
    ['VSCODE_GIT_IPC_HANDLE', '/run/user/1000/vscode-git.sock'],
    ['HF_TOKEN', 'x'],
    ['INNOCENT_NAME', 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz'],
    ['ANOTHER', 'ghp_abcdefghijklmnopqrstuvwxyz0123'],
    ['CLOUD', 'AKIAABCDEFGHIJKLMNOP'],
  ];
  it.each(dropped)('drops %s', (name, value) => {
    expect(secretEnvReason(name, value)).not.toBeNull();
  });

  const kept: Array<[string, string]> = [
    ['PATH', '/usr/bin:/bin'],
    ['HOME', '/home/me'],
    ['LANG', 'en_GB.UTF-8'],
    ['LC_ALL', 'C'],
    ['TERM', 'xterm-256color'],
    ['USER', 'me'],
    ['SHELL', '/bin/bash'],
    ['TZ', 'Europe/London'],
    ['JAVA_HOME', '/usr/lib/jvm/java-21'],
    ['GOPATH', '/home/me/go'],
    ['CARGO_HOME', '/home/me/.cargo'],
    ['VIRTUAL_ENV', '/repo/.venv'],
    ['NODE_OPTIONS', '--max-old-space-size=4096'],
    ['TOKENIZERS_PARALLELISM', 'false'],
    ['KEYBOARD_LAYOUT', 'gb'],
    ['CI', 'true'],
    ['GIT_AUTHOR_NAME', 'Me'],
  ];
  it.each(kept)('keeps %s', (name, value) => {
    expect(secretEnvReason(name, value)).toBeNull();
  });

  it('drops a variable holding a known secret value, whatever its name', () => {
    expect(secretEnvReason('HELPER_OUT', 'prefix-rotating-secret-value', ['rotating-secret-value'])).toBe('value holds a known secret');
    expect(secretEnvReason('HELPER_OUT', 'short', ['short'])).toBeNull();
  });
});

describe('commandEnv', () => {
  it('returns the kept variables and the sorted names of the dropped ones, never their values', () => {
    const result = commandEnv({ PATH: '/bin', OPENAI_API_KEY: 'sk-secret', HOME: '/h', B_TOKEN: 't', A_SECRET: 's', EMPTY: undefined });
    expect(result.env).toEqual({ PATH: '/bin', HOME: '/h' });
    expect(result.dropped).toEqual(['A_SECRET', 'B_TOKEN', 'OPENAI_API_KEY']);
  });
});
