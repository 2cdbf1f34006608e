import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tempRepo } from '../helpers/git-repo.js';
import { cliPath, runCli } from '../helpers/run-cli.js';
import { startFakeLlm } from '../fake-llm/index.js';
import type { RecordedRequest, Scripted } from '../fake-llm/types.js';
import { loadConfig } from '../../src/config/index.js';
import { processAlive } from '../../src/util/process.js';
import { createSession, type ToolCallApproval } from '../../src/session/index.js';
import { groupAlive, groupGone, startLines, startV2Http, stdioServer, waitForLine, writeUserConfig } from './helpers.js';

const calls = (...list: Array<[string, Record<string, unknown>]>): Scripted => ({ kind: 'text', text: '', toolCalls: list.map(([name, args]) => ({ name, arguments: args })) });
const answer = (text: string): Scripted => ({ kind: 'text', text });
const resultsIn = (request: RecordedRequest | undefined): string[] => (request?.messages ?? []).flatMap((m) => (m.toolResults ?? []).map((r) => r.content));

describe('MCP through the session API', () => {
  it('asks before each call (server, tool, arguments): n declines, a approves the tool for the session, a listed tool is not asked', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    await using remote = await startV2Http();
    writeUserConfig(repo, ['[approval]', 'mcp_tools = ["remote/weather"]', '[mcp.servers.remote]', `url = ${JSON.stringify(remote.url)}`, ''].join('\n'));
    const env = { ...repo.env, ...llm.env(), ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const { config } = await loadConfig({ env, repoRoot: repo.dir });
    const asked: ToolCallApproval[] = [];
    const answers: Array<'yes' | 'no' | 'always'> = ['no', 'always'];
    const session = await createSession({
      cwd: repo.dir,
      env,
      config,
      model: 'anthropic/claude-sonnet-4-5',
      interactive: true,
      mode: 'chat',
      ui: {
        approveToolCall: async (info) => {
          asked.push(info);
          return answers.shift() ?? 'no';
        },
      },
    });
    try {
      llm.enqueue(
        calls(['mcp__remote__echo', { text: 'first' }]),
        calls(['mcp__remote__echo', { text: 'second' }]),
        calls(['mcp__remote__echo', { text: 'third' }], ['mcp__remote__weather', { city: 'Lima' }]),
        answer('done'),
      );
      const result = await session.ask('echo three times');
      expect(result.toolCalls.map((c) => [c.name, c.ok])).toEqual([
        ['mcp__remote__echo', false],
        ['mcp__remote__echo', true],
        ['mcp__remote__echo', true],
        ['mcp__remote__weather', true],
      ]);
      // Asked twice: the declined call, and the one answered `a`; not after that, and never for the listed tool.
      expect(asked).toEqual([
        { server: 'remote', tool: 'echo', arguments: { text: 'first' } },
        { server: 'remote', tool: 'echo', arguments: { text: 'second' } },
      ]);
      expect(resultsIn(llm.requests[1]).at(-1)).toBe('declined: the person did not approve this call of remote/echo.');
      expect(resultsIn(llm.requests[3]).slice(-2)).toEqual(['v2-http echo: third', expect.stringContaining('Weather in Lima')]);
      const served = remote.requests.filter((q) => q.headers['mcp-method'] === 'tools/call').map((q) => q.headers['mcp-name']);
      expect(served).toEqual(['echo', 'echo', 'weather']);
    } finally {
      session.close();
    }
  });

  it('with nobody to ask, an unlisted MCP tool is refused', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    await using remote = await startV2Http();
    writeUserConfig(repo, ['[mcp.servers.remote]', `url = ${JSON.stringify(remote.url)}`, ''].join('\n'));
    const env = { ...repo.env, ...llm.env(), ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const { config } = await loadConfig({ env, repoRoot: repo.dir });
    const session = await createSession({ cwd: repo.dir, env, config, model: 'openai/gpt-4.1', interactive: false, mode: 'run', ui: { approveToolCall: async () => 'yes' } });
    try {
      llm.enqueue(calls(['mcp__remote__echo', { text: 'x' }]), answer('ok'));
      const result = await session.ask('echo');
      expect(result.toolCalls).toEqual([expect.objectContaining({ name: 'mcp__remote__echo', ok: false })]);
      expect(resultsIn(llm.requests[1])[0]).toMatch(/needs the person's approval and there is no terminal to ask/);
      expect(remote.requests.some((q) => q.headers['mcp-method'] === 'tools/call')).toBe(false);
    } finally {
      session.close();
    }
  });

  it('explain offers no MCP tool and starts no server: a turn that promises to change nothing cannot reach one', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    await using remote = await startV2Http();
    writeUserConfig(repo, ['[mcp.servers.remote]', `url = ${JSON.stringify(remote.url)}`, ''].join('\n'));
    const env = { ...repo.env, ...llm.env(), ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const { config } = await loadConfig({ env, repoRoot: repo.dir });
    const session = await createSession({ cwd: repo.dir, env, config, model: 'openai/gpt-4.1', interactive: false, mode: 'explain', ui: { approveToolCall: async () => 'yes' } });
    try {
      llm.enqueue(answer('README.md:1 is a heading.'));
      await session.ask('what is in README.md?');
      const offered = (llm.requests[0]?.tools ?? []).map((t) => t.name).sort();
      expect(offered).toEqual(['list_files', 'read_file', 'repo_map', 'search', 'semantic_search']);
      expect(remote.requests).toHaveLength(0);
    } finally {
      session.close();
    }
  });
});

describe('Ctrl-C during an MCP call', () => {
  it('cancels the call and stops the turn; the server stays for the next turn', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    const log = join(repo.home, 'starts.log');
    writeUserConfig(repo, ['[approval]', 'mcp_tools = ["slow/*"]', stdioServer('slow', 'v2', { env: { MCP_START_LOG: log }, timeoutS: 600 })].join('\n'));
    const env = { ...repo.env, ...llm.env(), ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const { config } = await loadConfig({ env, repoRoot: repo.dir });
    const session = await createSession({ cwd: repo.dir, env, config, model: 'openai/gpt-4.1', interactive: false, mode: 'run' });
    try {
      llm.enqueue(calls(['mcp__slow__hang', {}]), answer('never'));
      const controller = new AbortController();
      const asking = session.ask('wait for it', controller.signal);
      await waitForLine(log, /^hang \d+$/);
      controller.abort();
      await expect(asking).rejects.toThrow(/abort/i);
      // The model's second reply was never asked for.
      expect(llm.requests).toHaveLength(1);
      llm.reset();
      llm.enqueue(calls(['mcp__slow__echo', { text: 'after' }]), answer('ok'));
      const next = await session.ask('echo');
      expect(next.toolCalls).toEqual([expect.objectContaining({ name: 'mcp__slow__echo', ok: true })]);
      expect(resultsIn(llm.requests[1]).at(-1)).toBe('v2 echo: after');
      expect(startLines(log).filter((l) => l.startsWith('v2-stdio'))).toHaveLength(1);
    } finally {
      session.close();
    }
  });
});

describe('MCP servers and the life of assist', () => {
  it('no server process is left after assist is killed in the middle of a call', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    const log = join(repo.home, 'starts.log');
    writeUserConfig(repo, ['[approval]', 'mcp_tools = ["*/*"]', stdioServer('stuck', 'v1', { env: { MCP_START_LOG: log, MCP_STUBBORN: '1' }, timeoutS: 600 })].join('\n'));
    llm.enqueue(calls(['mcp__stuck__hang', {}]), answer('never reached'));
    const child = spawn(process.execPath, [cliPath, 'run', '--yes', '-m', 'wait forever'], {
      cwd: repo.dir,
      env: { ...repo.env, ...llm.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let pid = 0;
    try {
      // The server announces itself when it starts and again when the hanging call reaches it.
      const started = await waitForLine(log, /^v1-stdio \d+$/);
      await waitForLine(log, /^hang \d+$/);
      pid = Number(started.split(' ')[1]);
      const grandchild = Number((await waitForLine(log, /^child \d+$/)).split(' ')[1]);
      expect(groupAlive(pid)).toBe(true);
      child.kill('SIGKILL');
      await exited;
      // Nothing of the server's process group survives assist: not the server (which ignores the end
      // of its stdin), not the child it started, not the watcher beside it.
      expect(await groupGone(pid)).toBe(true);
      expect(processAlive(grandchild)).toBe(false);
    } finally {
      child.kill('SIGKILL');
      // A failed check must not leave the test's own orphans behind.
      if (pid > 0 && groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    }
  });

  it('with servers configured, --version, --help, undo and config list start none', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    const log = join(repo.home, 'starts.log');
    writeUserConfig(repo, [stdioServer('one', 'v1', { env: { MCP_START_LOG: log } }), stdioServer('two', 'v2', { env: { MCP_START_LOG: log } })].join('\n'));
    const env = { ...repo.env, ...llm.env() };
    for (const args of [['--version'], ['--help'], ['undo'], ['config', 'list']]) {
      const r = await runCli(args, { cwd: repo.dir, env });
      expect(r.stderr, args.join(' ')).not.toMatch(/MCP server/);
    }
    expect(startLines(log)).toEqual([]);
    // The same config does start them when a turn needs tools (the check above can fail).
    llm.enqueue(answer('hello'));
    const r = await runCli(['run', '--yes', '-m', 'hi'], { cwd: repo.dir, env: { ...env, ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' } });
    expect([0, 5], r.stderr).toContain(r.code);
    expect(startLines(log).map((l) => l.split(' ')[0]).sort()).toEqual(['v1-stdio', 'v2-stdio']);
  });
});
