import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildConfig, loadConfig, type AgentHookConfig, type Config } from '../config/index.js';
import { createAuditLog } from '../sandbox/index.js';
import { matchesTool, runAgentHooks, type HookRunner } from './agent-hooks.js';

describe('matchesTool', () => {
  it.each([
    [undefined, 'run_command', true],
    ['*', 'read_file', true],
    ['run_command', 'run_command', true],
    ['run_command', 'run_commands', false],
    ['edit_file|write_file', 'write_file', true],
    ['edit_file|write_file', 'read_file', false],
    ['mcp__*', 'mcp__github__issue', true],
    ['read_?ile', 'read_file', true],
    ['run.command', 'run_command', false],
  ] as const)('%s matches %s: %s', (match, tool, expected) => {
    expect(matchesTool(match, tool)).toBe(expected);
  });
});

describe('runAgentHooks', () => {
  let dir: string;
  let lines: string[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'assist-hooks-'));
    lines = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function runner(hooks: Config['agentHooks']): Promise<HookRunner> {
    const base = (await loadConfig({ env: { HOME: dir, XDG_CONFIG_HOME: join(dir, 'xdg') }, repoRoot: null })).config;
    // No sandbox in a unit test: a temp dir is not a repository layout bwrap could mount.
    const config: Config = { ...base, sandbox: { ...base.sandbox, commands: 'none' }, agentHooks: hooks };
    return {
      config,
      root: dir,
      gitDir: join(dir, '.git'),
      commonDir: join(dir, '.git'),
      env: { PATH: process.env['PATH'] ?? '', OPENAI_API_KEY: 'sk-never-seen' },
      audit: () => createAuditLog(dir, 's1'),
      status: (line) => lines.push(line),
    };
  }
  const hook = (command: string, extra: Partial<AgentHookConfig> = {}): AgentHookConfig => ({ command, match: undefined, timeoutS: 10, origin: 'test', ...extra });
  const payload = { event: 'pre_tool' as const, session: 's1', cwd: '/x', root: '/x', tool: 'run_command', arguments: { command: 'rm -rf src' } };

  it('gives the payload on stdin and no provider key in the environment; exit 2 blocks with stderr and stops the hooks after it', async () => {
    const out = join(dir, 'seen.json');
    const r = await runAgentHooks(
      await runner({
        pre_tool: [
          hook(`cat > ${out}; echo "key=\${OPENAI_API_KEY:-none}" >> ${out}`),
          hook('echo "no rm here" >&2; exit 2'),
          hook(`touch ${join(dir, 'never')}`),
        ],
      }),
      payload,
    );
    expect(r.blocked).toBe('no rm here');
    const [json, key] = readFileSync(out, 'utf8').trim().split('\n');
    expect(JSON.parse(json!)).toEqual(payload);
    expect(key).toBe('key=none');
    expect(() => readFileSync(join(dir, 'never'))).toThrow();
    const audit = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { op: string; result: string; reason: string });
    expect(audit.map((a) => [a.op, a.result])).toEqual([
      ['hook', '0'],
      ['hook', 'blocked'],
    ]);
    expect(audit[1]!.reason).toContain('pre_tool run_command (test; unconfined): no rm here');
  });

  it('stdout is context only for the events that take it; another exit code is a warning; a hang is killed at timeout_s', async () => {
    const r = await runAgentHooks(await runner({ post_tool: [hook('echo lint: ok'), hook('echo broken >&2; exit 7'), hook('sleep 30', { timeoutS: 0.3 })] }), { ...payload, event: 'post_tool' });
    expect(r).toEqual({ blocked: null, context: 'lint: ok' });
    expect(lines[0]).toMatch(/warning: agent post_tool hook `echo broken >&2; exit 7` exited 7: broken/);
    expect(lines[1]).toMatch(/post_tool hook `sleep 30` was killed after 0.3 s \(timeout_s\)/);
    const commit = await runAgentHooks(await runner({ post_commit: [hook('echo ignored')] }), { ...payload, event: 'post_commit' });
    expect(commit.context).toBe('');
  });

  it('runs only the hooks whose match covers the tool', async () => {
    const r = await runAgentHooks(await runner({ pre_tool: [hook('exit 2', { match: 'edit_file|write_file' })] }), payload);
    expect(r.blocked).toBeNull();
    expect(buildConfig(new Map()).agentHooks).toEqual({});
  });
});
