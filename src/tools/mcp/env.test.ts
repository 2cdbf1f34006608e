import { describe, expect, it } from 'vitest';
import type { McpServerConfig } from '../../config/types.js';
import { providerKeyNames, serverEnv, serverHeaders } from './env.js';

const entry = (env: Record<string, string>, headers: Record<string, string> = {}): McpServerConfig => ({ command: 'x', args: [], env, headers, enabled: true, timeoutS: 30 });
const keys = providerKeyNames({ llm: { openai: { api_key_env: 'MY_OPENAI' } } });
const assistEnv = { PATH: '/bin', HOME: '/home/me', OPENAI_API_KEY: 'sk-secret-value-123', MY_OPENAI: 'sk-other-secret-456', GH: 'ghp_x', SHELL: '/bin/zsh' };

describe('the environment of an MCP server', () => {
  it('is PATH, HOME and what the entry names, ${VAR} taken from assist', () => {
    expect(serverEnv('gh', entry({ GITHUB_TOKEN: '${GH}', MODE: 'ro', EMPTY: '${NOPE}' }), assistEnv, keys)).toEqual({ PATH: '/bin', HOME: '/home/me', GITHUB_TOKEN: 'ghp_x', MODE: 'ro', EMPTY: '' });
  });

  it('never holds a provider key: by name, by ${VAR}, or by value', () => {
    expect(() => serverEnv('s', entry({ OPENAI_API_KEY: 'x' }), assistEnv, keys)).toThrow(/mcp\.servers\.s\.env\.OPENAI_API_KEY: an MCP server never gets provider keys/);
    expect(() => serverEnv('s', entry({ K: '${MY_OPENAI}' }), assistEnv, keys)).toThrow(/takes \$\{MY_OPENAI\}/);
    expect(() => serverEnv('s', entry({ K: 'Bearer sk-secret-value-123' }), assistEnv, keys)).toThrow(/holds the value of OPENAI_API_KEY/);
    expect(() => serverHeaders('s', entry({}, { Authorization: 'Bearer ${OPENAI_API_KEY}' }), assistEnv, keys)).toThrow(/headers\.Authorization takes/);
    expect(serverHeaders('s', entry({}, { Authorization: 'Bearer ${GH}' }), assistEnv, keys)).toEqual({ Authorization: 'Bearer ghp_x' });
  });
});
