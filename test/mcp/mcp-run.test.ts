import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import type { RecordedRequest, Scripted } from '../fake-llm/types.js';
import { httpServer, startLines, startV1Http, startV2Http, stdioServer, writeUserConfig } from './helpers.js';

const MODELS = {
  openai: 'openai/gpt-4.1',
  anthropic: 'anthropic/claude-sonnet-4-5',
  google: 'google/gemini-2.5-flash',
  ollama: 'ollama/qwen2.5-coder',
} as const;

const calls = (...list: Array<[string, Record<string, unknown>]>): Scripted => ({ kind: 'text', text: '', toolCalls: list.map(([name, args]) => ({ name, arguments: args })) });
const answer = (text: string): Scripted => ({ kind: 'text', text });

function envFor(repo: TempRepo, server: FakeLlmServer, model: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...repo.env, ...server.env(), ASSIST_MODEL: model, ASSIST_CONTEXT__MAP_TOKENS: '0', ...extra };
}

function resultsIn(request: RecordedRequest | undefined): string[] {
  return (request?.messages ?? []).flatMap((m) => (m.toolResults ?? []).map((r) => r.content));
}

interface RunJson {
  tool_calls: Array<{ name: string; ok: boolean }>;
  steps: number;
}

describe.each(Object.entries(MODELS))('MCP tools through the tool loop of %s', (_provider, model) => {
  it('the model calls a tool on each kind of server (v2 stateless and 1.x handshake, stdio and HTTP) and gets its result', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    await using v2http = await startV2Http();
    await using v1http = await startV1Http();
    const starts = join(repo.home, 'starts.log');
    writeUserConfig(
      repo,
      [
        '[approval]',
        'mcp_tools = ["*/echo"]',
        stdioServer('newstdio', 'v2', { env: { MCP_START_LOG: starts } }),
        stdioServer('oldstdio', 'v1', { env: { MCP_START_LOG: starts } }),
        httpServer('newhttp', v2http.url),
        httpServer('oldhttp', v1http.url),
      ].join('\n'),
    );
    llm.enqueue(
      calls(['mcp__newstdio__echo', { text: 'one' }], ['mcp__oldstdio__echo', { text: 'two' }], ['mcp__newhttp__echo', { text: 'three' }], ['mcp__oldhttp__echo', { text: 'four' }]),
      answer('All four answered.'),
    );
    const r = await runCli(['run', '--yes', '--json', '-m', 'echo through every server'], { cwd: repo.dir, env: envFor(repo, llm, model) });
    expect([0, 5], r.stderr).toContain(r.code);
    const out = JSON.parse(r.stdout) as RunJson;
    expect(out.tool_calls).toEqual([
      expect.objectContaining({ name: 'mcp__newstdio__echo', ok: true }),
      expect.objectContaining({ name: 'mcp__oldstdio__echo', ok: true }),
      expect.objectContaining({ name: 'mcp__newhttp__echo', ok: true }),
      expect.objectContaining({ name: 'mcp__oldhttp__echo', ok: true }),
    ]);
    // The model was offered the servers' tools, with their schemas, and got every result back.
    const offered = llm.requests[0]!.tools ?? [];
    expect(offered.map((t) => t.name)).toEqual(expect.arrayContaining(['mcp__newstdio__echo', 'mcp__oldstdio__echo', 'mcp__newhttp__weather', 'mcp__oldhttp__show_env', 'read_file']));
    expect(resultsIn(llm.requests[1])).toEqual(['v2 echo: one', 'v1 echo: two', 'v2-http echo: three', 'v1-http echo: four']);
    // Each stdio server started once; the v2 HTTP calls carried the stateless revision's routing headers.
    expect(startLines(starts).map((l) => l.split(' ')[0]).sort()).toEqual(['v1-stdio', 'v2-stdio']);
    const call = v2http.requests.find((q) => q.headers['mcp-method'] === 'tools/call');
    expect(call?.headers['mcp-name']).toBe('echo');
    expect(call?.headers['mcp-protocol-version']).toBe('2026-07-28');
    expect(v1http.requests.some((q) => typeof q.headers['mcp-session-id'] === 'string')).toBe(true);
    // Every call is an audit line.
    const audit = readFileSync(join(repo.dir, '.git/assist/audit.jsonl'), 'utf8');
    expect(audit.match(/"op":"mcp"/g)).toHaveLength(4);
  });
});

describe('MCP servers: eras, approval, environment, faults, trust', () => {
  it('each server gets its era (modern for v2 stateless, legacy for 1.x), found once and remembered', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    await using v2http = await startV2Http();
    await using v1http = await startV1Http();
    const starts = join(repo.home, 'starts.log');
    writeUserConfig(repo, [stdioServer('newstdio', 'v2', { env: { MCP_START_LOG: starts } }), stdioServer('oldstdio', 'v1', { env: { MCP_START_LOG: starts } }), httpServer('newhttp', v2http.url), httpServer('oldhttp', v1http.url)].join('\n'));
    const env = envFor(repo, llm, MODELS.openai);
    const first = await runCli(['mcp', 'list', '--json'], { cwd: repo.dir, env });
    expect(first.code, first.stderr).toBe(0);
    const servers = (JSON.parse(first.stdout) as { servers: Array<{ name: string; state: string; era: string; protocol_version: string; tools: Array<{ model_name: string }> }> }).servers;
    const eras = Object.fromEntries(servers.map((s) => [s.name, [s.state, s.era, s.protocol_version]]));
    expect(eras).toEqual({
      newhttp: ['ok', 'modern', '2026-07-28'],
      newstdio: ['ok', 'modern', '2026-07-28'],
      oldhttp: ['ok', 'legacy', expect.stringMatching(/^2025-/)],
      oldstdio: ['ok', 'legacy', expect.stringMatching(/^2025-/)],
    });
    expect(servers[0]!.tools.map((t) => t.model_name)).toContain('mcp__newhttp__echo');
    // The first time, both HTTP servers were asked `server/discover`; the era was written down.
    const probes = (server: { requests: Array<{ headers: Record<string, unknown> }> }): number => server.requests.filter((q) => q.headers['mcp-method'] === 'server/discover').length;
    expect([probes(v2http), probes(v1http)]).toEqual([1, 1]);
    const remembered = JSON.parse(readFileSync(join(repo.home, '.local/state/assist/mcp/eras.json'), 'utf8')) as Record<string, { era: string }>;
    expect(Object.values(remembered).map((e) => e.era).sort()).toEqual(['legacy', 'legacy', 'modern', 'modern']);

    const second = await runCli(['mcp', 'list', '--json'], { cwd: repo.dir, env });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual(JSON.parse(first.stdout));
    // The second time nothing was probed: each server was reached in its remembered era directly,
    // and each stdio server was started once per command (no probe process beside it).
    expect([probes(v2http), probes(v1http)]).toEqual([1, 1]);
    expect(startLines(starts)).toHaveLength(4);
    const text = await runCli(['mcp', 'list'], { cwd: repo.dir, env });
    expect(text.stdout).toMatch(/^newstdio {2}ok {2}stdio {2}modern 2026-07-28 {2}6 tools$/m);
    expect(text.stdout).toMatch(/^oldhttp {2}ok {2}http {2}legacy 2025-\S+ {2}6 tools$/m);
  });

  it('--yes runs only the MCP tools approval.mcp_tools lists: the others are refused and never reach the server', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    await using v2http = await startV2Http();
    writeUserConfig(repo, ['[approval]', 'mcp_tools = ["remote/weather"]', httpServer('remote', v2http.url)].join('\n'));
    llm.enqueue(calls(['mcp__remote__echo', { text: 'hi' }], ['mcp__remote__weather', { city: 'Oslo' }]), answer('ok'));
    const r = await runCli(['run', '--yes', '--json', '-m', 'echo and weather'], { cwd: repo.dir, env: envFor(repo, llm, MODELS.anthropic) });
    expect([0, 5], r.stderr).toContain(r.code);
    const out = JSON.parse(r.stdout) as RunJson;
    expect(out.tool_calls.map((c) => [c.name, c.ok])).toEqual([
      ['mcp__remote__echo', false],
      ['mcp__remote__weather', true],
    ]);
    const [refused, weather] = resultsIn(llm.requests[1]);
    expect(refused).toMatch(/not listed in approval\.mcp_tools, and with --yes \(or in pr\) only listed MCP tools run/);
    // Structured content comes back as text too.
    expect(weather).toContain('Weather in Oslo');
    expect(weather).toMatch(/structured content:\n\{\n {2}"city": "Oslo",\n {2}"celsius": 21/);
    const toolCalls = v2http.requests.filter((q) => q.headers['mcp-method'] === 'tools/call').map((q) => q.headers['mcp-name']);
    expect(toolCalls).toEqual(['weather']);
    expect(r.stderr).toMatch(/mcp__remote__echo: refused \(not in approval\.mcp_tools\)/);
  });

  it('a server gets PATH, HOME and what its entry names, never a provider key from assist', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    writeUserConfig(repo, ['[approval]', 'mcp_tools = ["envy/*"]', stdioServer('envy', 'v1', { env: { GREETING: 'hello ${WHO}' } })].join('\n'));
    llm.enqueue(calls(['mcp__envy__show_env', {}]), answer('seen'));
    const canary = 'sk-ant-canary-must-not-reach-the-server-0001';
    const r = await runCli(['run', '--yes', '--json', '-m', 'show me the environment'], {
      cwd: repo.dir,
      env: envFor(repo, llm, MODELS.openai, { ANTHROPIC_API_KEY: canary, WHO: 'world', GITHUB_TOKEN: 'ghp_notforservers0000000000000000000000' }),
    });
    expect([0, 5], r.stderr).toContain(r.code);
    const seen = JSON.parse(resultsIn(llm.requests[1])[0]!) as Record<string, string>;
    expect(seen.GREETING).toBe('hello world');
    expect(seen.PATH).toBe(repo.env.PATH);
    expect(seen.HOME).toBe(repo.home);
    // Nothing else of assist's environment (the shell may add its own PWD, SHLVL, _).
    expect(Object.keys(seen).filter((k) => !['GREETING', 'PATH', 'HOME', 'PWD', 'SHLVL', '_', 'OLDPWD'].includes(k))).toEqual([]);
    const all = JSON.stringify(seen);
    for (const secret of [canary, llm.env().OPENAI_API_KEY, 'ghp_notforservers']) expect(all).not.toContain(secret);
  });

  it('an entry that would hand a provider key to a server is refused in one line, and the turn goes on', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    const starts = join(repo.home, 'starts.log');
    writeUserConfig(repo, stdioServer('leaky', 'v1', { env: { KEY: '${OPENAI_API_KEY}', MCP_START_LOG: starts } }));
    llm.enqueue(answer('fine'));
    const r = await runCli(['run', '--yes', '--json', '-m', 'hi'], { cwd: repo.dir, env: envFor(repo, llm, MODELS.openai) });
    expect([0, 5], r.stderr).toContain(r.code);
    expect(r.stderr).toMatch(/^MCP server "leaky" failed to start: mcp\.servers\.leaky\.env\.KEY takes \$\{OPENAI_API_KEY\}: an MCP server never gets provider keys; its tools are not offered$/m);
    expect(startLines(starts)).toEqual([]);
    expect(llm.requests[0]!.tools?.some((t) => t.name.startsWith('mcp__'))).toBe(false);
  });

  it('a server that fails to start is one line with its own last words, and the turn goes on with the others', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    writeUserConfig(repo, ['[approval]', 'mcp_tools = ["*/*"]', '[mcp.servers.ghost]', 'command = "no-such-mcp-server-here"', '', stdioServer('real', 'v2')].join('\n'));
    llm.enqueue(calls(['mcp__real__echo', { text: 'alive' }]), answer('one of two'));
    const r = await runCli(['run', '--yes', '--json', '-m', 'hi'], { cwd: repo.dir, env: envFor(repo, llm, MODELS.openai) });
    expect([0, 5], r.stderr).toContain(r.code);
    expect(r.stderr.split('\n').filter((l) => l.includes('ghost'))).toEqual([
      expect.stringMatching(/^MCP server "ghost" failed to start: exited with code 127: .*no-such-mcp-server-here: not found; its tools are not offered$/),
    ]);
    expect(resultsIn(llm.requests[1])).toEqual(['v2 echo: alive']);
  });

  it('a crash mid-call and a hang past timeout_s each end in one clear line, the tools are withdrawn, and the turn goes on', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    await using v2http = await startV2Http();
    writeUserConfig(
      repo,
      ['[approval]', 'mcp_tools = ["*/*"]', stdioServer('crashy', 'v1'), stdioServer('sleepy', 'v2', { timeoutS: 1 }), httpServer('fine', v2http.url)].join('\n'),
    );
    llm.enqueue(
      calls(['mcp__crashy__crash', {}]),
      calls(['mcp__sleepy__hang', {}]),
      calls(['mcp__crashy__echo', { text: 'again?' }], ['mcp__fine__echo', { text: 'still here' }]),
      answer('Two servers broke; the third answered.'),
    );
    const r = await runCli(['run', '--yes', '--json', '-m', 'try the servers'], { cwd: repo.dir, env: envFor(repo, llm, MODELS.openai) });
    expect([0, 5], r.stderr).toContain(r.code);
    const out = JSON.parse(r.stdout) as RunJson;
    expect(out.tool_calls.map((c) => [c.name, c.ok])).toEqual([
      ['mcp__crashy__crash', false],
      ['mcp__sleepy__hang', false],
      ['mcp__crashy__echo', false],
      ['mcp__fine__echo', true],
    ]);
    expect(out.steps).toBe(4);
    const crashLines = r.stderr.split('\n').filter((l) => l.includes('crashy') && !l.includes('not available'));
    expect(crashLines).toHaveLength(1);
    expect(crashLines[0]).toMatch(/mcp__crashy__crash: server crashy exited with code 3 during the call: boom: the crash tool exits on purpose; its tools are withdrawn/);
    expect(r.stderr.split('\n').filter((l) => l.includes('sleepy'))).toEqual([expect.stringMatching(/mcp__sleepy__hang: server sleepy did not answer within 1 s \(mcp\.servers\.sleepy\.timeout_s\); its tools are withdrawn/)]);
    expect(resultsIn(llm.requests[1])[0]).toMatch(/^The MCP server "crashy" exited with code 3 during the call: boom: the crash tool exits on purpose\. Its tools are withdrawn/);
    const [again, still] = resultsIn(llm.requests[3]).slice(-2);
    expect(again).toMatch(/The MCP server "crashy" is not available/);
    expect(still).toBe('v2-http echo: still here');
    // The next turn would not offer the withdrawn tools: the last request of this one still did (byte-stable prefix).
    expect(llm.requests[3]!.tools?.map((t) => t.name)).toContain('mcp__crashy__echo');
  });

  it('servers from an untrusted project .assist.toml are not started until `assist trust`', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    const log = join(repo.home, 'starts.log');
    repo.write('.assist.toml', ['[approval]', 'mcp_tools = ["proj/*"]', stdioServer('proj', 'v2', { env: { MCP_START_LOG: log } })].join('\n'));
    repo.commitAll('project config');
    llm.enqueue(answer('no tools'));
    const env = envFor(repo, llm, MODELS.openai);
    const r = await runCli(['run', '--yes', '--json', '-m', 'hi'], { cwd: repo.dir, env });
    expect([0, 5], r.stderr).toContain(r.code);
    expect(r.stderr).toMatch(/ignoring .*mcp\.servers\.proj\.command.* from \.assist\.toml until you trust it/);
    expect(startLines(log)).toEqual([]);
    expect(llm.requests[0]!.tools?.some((t) => t.name.startsWith('mcp__'))).toBe(false);
    const list = await runCli(['mcp', 'list', '--json'], { cwd: repo.dir, env });
    expect(JSON.parse(list.stdout)).toEqual({ servers: [expect.objectContaining({ name: 'proj', state: 'untrusted' })] });
    expect(startLines(log)).toEqual([]);

    expect((await runCli(['trust'], { cwd: repo.dir, env })).code).toBe(0);
    llm.enqueue(calls(['mcp__proj__echo', { text: 'trusted' }]), answer('done'));
    const trusted = await runCli(['run', '--yes', '--json', '-m', 'hi again'], { cwd: repo.dir, env });
    expect([0, 5], trusted.stderr).toContain(trusted.code);
    expect(startLines(log)).toHaveLength(1);
    expect(resultsIn(llm.requests[2])).toEqual(['v2 echo: trusted']);
  });
});

describe('many MCP tools: past a tenth of the window, mcp_tools finds them on demand', () => {
  it('offers mcp_tools instead of the definitions, then the found ones at the end of the list for the next steps', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    const model = MODELS.anthropic;
    writeUserConfig(
      repo,
      [
        '[approval]',
        'mcp_tools = ["*/*"]',
        // A 6,000-token window: MCP definitions may take 600 tokens; three servers' 18 tools take more.
        `[models.${JSON.stringify(model)}]`,
        'context_window = 6000',
        stdioServer('alpha', 'v2'),
        stdioServer('beta', 'v1'),
        stdioServer('gamma', 'v2'),
      ].join('\n'),
    );
    llm.enqueue(calls(['mcp_tools', { query: 'weather report' }]), calls(['mcp__beta__weather', { city: 'Oslo' }]), answer('Clear in Oslo.'));
    const r = await runCli(['run', '--yes', '--json', '-m', 'what is the weather in Oslo?'], { cwd: repo.dir, env: envFor(repo, llm, model) });
    expect([0, 5], r.stderr).toContain(r.code);
    const [first, second, third] = llm.requests;
    const names = (q: RecordedRequest | undefined): string[] => (q?.tools ?? []).map((t) => t.name);
    expect(names(first)).toContain('mcp_tools');
    expect(names(first).filter((n) => n.startsWith('mcp__'))).toEqual([]);
    expect(first!.tools!.find((t) => t.name === 'mcp_tools')!.description).toMatch(/^Finds tools of the MCP servers alpha, beta, gamma \(18 tools/);
    const found = resultsIn(second)[0]!;
    expect(found).toMatch(/^3 MCP tools found/);
    expect(found).toContain('mcp__alpha__weather\n  Structured weather report for a city.\n  parameters: {"type":"object","properties":{"city":{"type":"string"}}');
    // The list grew at its end only: what came before is the same, byte for byte.
    expect(names(second).slice(names(first).length)).toEqual(['mcp__alpha__weather', 'mcp__beta__weather', 'mcp__gamma__weather']);
    expect(JSON.stringify(second!.tools!.slice(0, first!.tools!.length))).toBe(JSON.stringify(first!.tools));
    expect(JSON.stringify(third!.tools)).toBe(JSON.stringify(second!.tools));
    expect(resultsIn(third).at(-1)).toContain('Weather in Oslo');
  });

  it('with fewer definitions than that, every MCP tool is offered as it is and mcp_tools is not', async () => {
    await using llm = await startFakeLlm();
    await using repo = tempRepo({ files: { 'README.md': '# x\n' } });
    const model = MODELS.anthropic;
    writeUserConfig(repo, [`[models.${JSON.stringify(model)}]`, 'context_window = 6000', stdioServer('alpha', 'v2')].join('\n'));
    llm.enqueue(answer('fine'));
    const r = await runCli(['run', '--yes', '--json', '-m', 'hi'], { cwd: repo.dir, env: envFor(repo, llm, model) });
    expect([0, 5], r.stderr).toContain(r.code);
    const names = (llm.requests[0]?.tools ?? []).map((t) => t.name);
    expect(names).not.toContain('mcp_tools');
    expect(names.filter((n) => n.startsWith('mcp__alpha__'))).toHaveLength(6);
  });
});
