import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { reply, startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';

const EDIT = { path: 'a.txt', search: 'one\n', replace: 'two\n' };

/**
 * The fake server's variables with only the keys named: base URLs for every SDK, and OLLAMA_HOST
 * on the fake too, so no test ever finds an Ollama the machine happens to run.
 */
function envWith(repo: TempRepo, server: FakeLlmServer, keys: Array<'ANTHROPIC_API_KEY' | 'OPENAI_API_KEY' | 'GEMINI_API_KEY'>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const all = server.env();
  const env: NodeJS.ProcessEnv = { ...repo.env, ...all, ASSIST_CONTEXT__MAP_TOKENS: '0' };
  for (const name of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY'] as const) if (!keys.includes(name)) delete env[name];
  return { ...env, ...extra };
}

const firstLine = (stderr: string): string => stderr.split('\n')[0] ?? '';
const generations = (server: FakeLlmServer) => server.requests.filter((r) => r.provider !== undefined && r.path !== '/api/tags');

describe('the default model of run, chat and pr', () => {
  it('with only ANTHROPIC_API_KEY, run sends to Anthropic and its first line says which model and why', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    server.enqueue(reply.edits([EDIT]));
    const r = await runCli(['run', '-m', 'make it two', '--yes', '--json', 'a.txt'], { cwd: repo.dir, env: envWith(repo, server, ['ANTHROPIC_API_KEY']) });
    expect(r.code, r.stderr).toBe(0);
    expect(firstLine(r.stderr)).toBe('using anthropic/claude-sonnet-5-5: ANTHROPIC_API_KEY is set; --model to change');
    const out = JSON.parse(r.stdout) as { model: string; commits: string[] };
    expect(out).toMatchObject({ model: 'anthropic/claude-sonnet-5-5', commits: [expect.any(String)] });
    expect(generations(server).map((q) => [q.provider, q.model])).toEqual([['anthropic', 'claude-sonnet-5-5']]);
  });

  it('with only OPENAI_API_KEY, OpenAI and its default', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    server.enqueue(reply.edits([EDIT]));
    const r = await runCli(['run', '-m', 'make it two', '--yes', 'a.txt'], { cwd: repo.dir, env: envWith(repo, server, ['OPENAI_API_KEY']) });
    expect(r.code, r.stderr).toBe(0);
    expect(firstLine(r.stderr)).toBe('using openai/gpt-4.1: OPENAI_API_KEY is set; --model to change');
    expect(generations(server).map((q) => [q.provider, q.model])).toEqual([['openai', 'gpt-4.1']]);
  });

  it('with only GEMINI_API_KEY, Gemini and its default', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    server.enqueue(reply.edits([EDIT]));
    const env = envWith(repo, server, ['GEMINI_API_KEY']);
    const r = await runCli(['run', '-m', 'make it two', '--yes', 'a.txt'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(firstLine(r.stderr)).toBe('using google/gemini-2.5-pro: GEMINI_API_KEY is set; --model to change');
    expect(generations(server).map((q) => [String(q.provider), q.model])).toEqual([['google', 'gemini-2.5-pro']]);
  });

  it('with no key, the local Ollama server gives its best coding model', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    server.models = ['llama3.1:8b', 'qwen2.5-coder:7b'];
    server.enqueue(reply.edits([EDIT]));
    const r = await runCli(['run', '-m', 'make it two', '--yes', 'a.txt'], { cwd: repo.dir, env: envWith(repo, server, []) });
    expect(r.code, r.stderr).toBe(0);
    expect(firstLine(r.stderr)).toBe(`using ollama/qwen2.5-coder:7b: no API key is set, and Ollama at ${server.url} has it; --model to change`);
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/api/tags' });
    expect(generations(server).map((q) => [q.provider, q.model])).toEqual([['ollama', 'qwen2.5-coder:7b']]);
  });

  it('no key, no Ollama model, no --model: exit 2 with one line, before any request or any write', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    server.models = [];
    const head = repo.git('rev-parse', 'HEAD');
    for (const args of [['run', '-m', 'make it two', 'a.txt'], ['make it two'], ['chat'], ['pr', '-m', 'make it two']]) {
      const r = await runCli(args, { cwd: repo.dir, env: envWith(repo, server, []), input: 'hello\n' });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toBe(
        'error: no model: set ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY (or GOOGLE_API_KEY), run Ollama with a model pulled, or pass --model provider/model\n',
      );
    }
    expect(generations(server)).toEqual([]);
    expect(repo.git('rev-parse', 'HEAD')).toBe(head);
    expect(repo.git('for-each-ref', 'refs/assist/', 'refs/heads/assist/')).toBe('');
    expect(existsSync(join(repo.dir, '.git', 'assist', 'journal'))).toBe(false);
  });

  it('--model, then ASSIST_MODEL, then the config file, each named as the reason', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    writeFileSync(join(repo.dir, '.assist.toml'), '# team model\nmodel = "openai/gpt-4.1-mini"\n');
    server.defaultReply = reply.text('Nothing to change.');
    const env = envWith(repo, server, ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']);
    const fromFile = await runCli(['run', '-m', 'hi'], { cwd: repo.dir, env });
    expect(firstLine(fromFile.stderr)).toBe('using openai/gpt-4.1-mini: model in .assist.toml:2; --model to change');
    const fromEnv = await runCli(['run', '-m', 'hi'], { cwd: repo.dir, env: { ...env, ASSIST_MODEL: 'anthropic/claude-haiku-4-5' } });
    expect(firstLine(fromEnv.stderr)).toBe('using anthropic/claude-haiku-4-5: ASSIST_MODEL is set; --model to change');
    const fromFlag = await runCli(['run', '-m', 'hi', '--model', 'openai/gpt-4o'], { cwd: repo.dir, env: { ...env, ASSIST_MODEL: 'anthropic/claude-haiku-4-5' } });
    expect(firstLine(fromFlag.stderr)).toBe('using openai/gpt-4o: --model');
    expect(generations(server).map((q) => q.model)).toEqual(['gpt-4.1-mini', 'claude-haiku-4-5', 'gpt-4o']);
  });

  it('chat and pr say it too, on stderr', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    server.enqueue(reply.text('Hello there.'));
    const chat = await runCli(['chat'], { cwd: repo.dir, env: envWith(repo, server, ['OPENAI_API_KEY']), input: 'hello\n' });
    expect(chat.code, chat.stderr).toBe(0);
    expect(firstLine(chat.stderr)).toBe('using openai/gpt-4.1: OPENAI_API_KEY is set; --model to change');
    expect(chat.stdout).toContain('Hello there.');

    server.enqueue(reply.edits([EDIT]));
    const pr = await runCli(['pr', '-m', 'make it two', '--json'], { cwd: repo.dir, env: envWith(repo, server, ['ANTHROPIC_API_KEY']) });
    expect(pr.code, pr.stderr).toBe(0);
    expect(pr.stderr).toContain('using anthropic/claude-sonnet-5-5: ANTHROPIC_API_KEY is set; --model to change\n');
    expect(JSON.parse(pr.stdout)).toMatchObject({ files: ['a.txt'] });
    expect(generations(server).map((q) => q.provider)).toEqual(['openai', 'anthropic']);
  });

  it('doctor shows the model it would use and where that came from', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    const keyed = await runCli(['doctor'], { cwd: repo.dir, env: envWith(repo, server, ['OPENAI_API_KEY']) });
    expect(keyed.stdout).toMatch(/^ok {4}model openai\/gpt-4\.1 \(OPENAI_API_KEY is set\)$/m);
    server.models = ['codellama:13b'];
    const local = await runCli(['doctor'], { cwd: repo.dir, env: envWith(repo, server, []) });
    expect(local.stdout).toContain(`model ollama/codellama:13b (no API key is set, and Ollama at ${server.url} has it)`);
    server.models = [];
    const none = await runCli(['doctor'], { cwd: repo.dir, env: envWith(repo, server, []) });
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^warn {2}no model: chat, run and pr need one/m);
  });
});
