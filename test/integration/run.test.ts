import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';

const MODELS = { openai: 'openai/gpt-4.1', anthropic: 'anthropic/claude-sonnet-4-5', ollama: 'ollama/qwen2.5-coder' } as const;

describe.each(Object.entries(MODELS))('assist run end to end through %s', (provider, model) => {
  it('a request becomes an edit commit with trailers and a note; --json parses; undo reverts it', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'src/greet.ts': 'export function greet(name: string): string {\n  return "hello " + name;\n}\n', 'README.md': '# demo\n' } });
    try {
      server.enqueue(
        reply.edits([{ path: 'src/greet.ts', search: '  return "hello " + name;\n', replace: '  return `Hello, ${name}!`;\n' }], { usage: { input: 120, output: 30 } }),
      );
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: model, ASSIST_CONTEXT__MAP_TOKENS: '256' };
      const r = await runCli(['run', '--yes', '--json', '-m', 'make greet friendlier', 'src/greet.ts'], { cwd: repo.dir, env });
      expect(r.stderr).not.toContain('Error:');
      expect(r.code, r.stderr).toBe(0);
      if (provider === 'anthropic') {
        // The SDK's own deprecation warning arrives as one status line of assist's, not printed by the SDK.
        expect(r.stderr).toContain(`${model}: The model 'claude-sonnet-4-5' is deprecated`);
        expect(r.stderr).not.toContain('Please migrate');
      }
      const out = JSON.parse(r.stdout) as { session: string; branch: string; commits: string[]; files: string[]; usage: { input_tokens: number; output_tokens: number } };
      expect(out.branch).toBe(`assist/${out.session}`);
      expect(out.commits).toHaveLength(1);
      expect(out.files).toEqual(['src/greet.ts']);
      expect(out.usage.input_tokens).toBeGreaterThan(0);
      expect(out.usage.output_tokens).toBeGreaterThan(0);
      expect(readFileSync(join(repo.dir, 'src/greet.ts'), 'utf8')).toContain('`Hello, ${name}!`');

      // The request carried the chat file and went to the model asked for.
      const sent = server.requests[0]!;
      expect(sent.provider).toBe(provider);
      expect(JSON.stringify(sent.body)).toContain('return \\"hello \\" + name;');

      const message = repo.git('log', '-1', '--format=%B', out.commits[0]!);
      expect(message).toContain(`Assist-Session: ${out.session}`);
      expect(message).toContain('Assist-Event: edit');
      expect(message).toContain(`Assist-Model: ${model}`);
      expect(message).toMatch(/Assist-Request: req_[0-9a-f]{12}/);
      expect(repo.git('notes', '--ref=assist', 'show', out.commits[0]!)).toContain('make greet friendlier');
      expect(repo.git('rev-parse', '--abbrev-ref', 'HEAD')).toBe(out.branch);

      const undo = await runCli(['undo'], { cwd: repo.dir, env });
      expect(undo.code, undo.stderr).toBe(0);
      expect(readFileSync(join(repo.dir, 'src/greet.ts'), 'utf8')).toContain('"hello " + name');
      expect(repo.git('status', '--porcelain')).toBe('');
    } finally {
      repo.cleanup();
    }
  });
});

describe('assist run with a weak model', () => {
  const files = { 'src/greet.ts': 'export function greet(name: string): string {\n  return "hello " + name;\n}\n' };
  const edit = reply.edits([{ path: 'src/greet.ts', search: '  return "hello " + name;\n', replace: '  return `Hello, ${name}!`;\n' }]);

  it('the weak model writes the commit message from the request and the diff', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files });
    server.enqueueFor({ model: 'gpt-4.1' }, edit);
    server.enqueueFor({ model: 'gpt-4.1-mini' }, reply.text('```\nSubject: Greet people by name with a capital and a bang.\n\nThe old greeting read flat.\n```'));
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_WEAK_MODEL: 'openai/gpt-4.1-mini', ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const r = await runCli(['run', '--yes', '--json', '-m', 'make greet friendlier', 'src/greet.ts'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { commits: string[]; usage: { output_tokens: number } };
    const weak = server.requests.find((q) => q.model === 'gpt-4.1-mini')!;
    expect(JSON.stringify(weak.body)).toContain('make greet friendlier');
    expect(JSON.stringify(weak.body)).toContain('+  return `Hello, ${name}!`;');
    expect(repo.git('log', '-1', '--format=%s', out.commits[0]!)).toBe('Greet people by name with a capital and a bang');
    const body = repo.git('log', '-1', '--format=%b', out.commits[0]!);
    expect(body).toContain('The old greeting read flat.\n\nAsked: make greet friendlier');
    expect(body).toContain('Assist-Event: edit');
  });

  it('a weak model that fails leaves the summary made from the request, and the edit goes through', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files });
    server.enqueueFor({ model: 'gpt-4.1' }, edit);
    server.enqueueFor({ model: 'gpt-4.1-mini' }, reply.unauthorized());
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_WEAK_MODEL: 'openai/gpt-4.1-mini', ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const r = await runCli(['run', '--yes', '--json', '-m', 'make greet friendlier', 'src/greet.ts'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(server.requests.some((q) => q.model === 'gpt-4.1-mini')).toBe(true);
    const out = JSON.parse(r.stdout) as { commits: string[] };
    expect(repo.git('log', '-1', '--format=%s', out.commits[0]!)).toBe('Make greet friendlier');
  });
});

describe('assist run rules', () => {
  it('without a TTY and without --yes nothing is written: exit 3 saying how', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    try {
      server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]));
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1' };
      const r = await runCli(['run', '-m', 'change it'], { cwd: repo.dir, env });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('--yes');
      expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('one\n');
    } finally {
      repo.cleanup();
    }
  });

  it('--dry-run shows the diff and writes and commits nothing, not even a branch', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    try {
      server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]));
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1' };
      const head = repo.git('rev-parse', 'HEAD');
      const r = await runCli(['run', '--dry-run', '-m', 'change it'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('+two');
      expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('one\n');
      expect(repo.git('rev-parse', 'HEAD')).toBe(head);
      expect(repo.git('branch', '--list')).toBe('* main');
      expect(repo.git('for-each-ref', 'refs/assist')).toBe('');
    } finally {
      repo.cleanup();
    }
  });

  it('a reply with no edits exits 5 and commits nothing', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    try {
      server.enqueue(reply.text('Nothing needs to change.'));
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1' };
      const r = await runCli(['run', '--yes', '-m', 'anything to do?'], { cwd: repo.dir, env });
      expect(r.code).toBe(5);
      expect(r.stdout).toContain('Nothing needs to change.');
      expect(repo.git('log', '--format=%s')).toBe('initial');
    } finally {
      repo.cleanup();
    }
  });

  it('a failed block goes back to the model with the closest lines, and its fix applies', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'calc.py': 'def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n' } });
    try {
      server.enqueue(
        reply.edits([{ path: 'calc.py', search: 'def sub(x, y):\n    return x - y\n', replace: 'def sub(a, b):\n    return b - a\n' }]),
        reply.edits([{ path: 'calc.py', search: 'def sub(a, b):\n    return a - b\n', replace: 'def sub(a, b):\n    return b - a\n' }]),
      );
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1' };
      const r = await runCli(['run', '--yes', '--json', '-m', 'swap sub', 'calc.py'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(server.requests).toHaveLength(2);
      const feedback = JSON.stringify(server.requests[1]!.body);
      expect(feedback).toContain('calc.py');
      expect(feedback).toContain('def sub(a, b):');
      expect(readFileSync(join(repo.dir, 'calc.py'), 'utf8')).toContain('return b - a');
    } finally {
      repo.cleanup();
    }
  });

  it('with no model, no key and no Ollama, says exactly what to set (exit 2), and writes nothing', async () => {
    const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    try {
      // Port 9 (discard): nothing listens, so no Ollama the machine may run is found.
      const r = await runCli(['run', '-m', 'hi'], { cwd: repo.dir, env: { ...repo.env, OLLAMA_HOST: '127.0.0.1:9' } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('no model: set ANTHROPIC_API_KEY');
      expect(r.stderr).toContain('--model');
      expect(existsSync(join(repo.dir, '.git', 'assist'))).toBe(false);
    } finally {
      repo.cleanup();
    }
  });
});

describe('observability of a run', () => {
  it('a log line can be followed from request to commit by its correlation id; the metrics file parses', async () => {
    const { parseExposition } = await import('../../src/obs/index.js');
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    try {
      server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }], { usage: { input: 50, output: 10 } }));
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
      const log = join(repo.home, 'assist.log');
      const metrics = join(repo.home, 'assist.prom');
      const r = await runCli(['run', '--yes', '--json', '--log-file', log, '--metrics-file', metrics, '-m', 'change it'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as { commits: string[]; requests: string[] };
      const trailer = repo.git('log', '-1', '--format=%(trailers:key=Assist-Request,valueonly)', out.commits[0]!).trim();
      const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; request?: string; commit?: string });
      const ofRequest = lines.filter((l) => l.request === trailer);
      expect(ofRequest.map((l) => l.event)).toEqual(expect.arrayContaining(['llm.request.start', 'llm.request.end', 'git.commit']));
      expect(ofRequest.find((l) => l.event === 'git.commit')?.commit).toBe(out.commits[0]);
      expect(readFileSync(log, 'utf8')).not.toContain(server.env().OPENAI_API_KEY);

      const families = parseExposition(readFileSync(metrics, 'utf8'));
      const text = readFileSync(metrics, 'utf8');
      expect(families.size).toBeGreaterThan(0);
      expect(text).toMatch(/^assist_commits_total\{kind="edit"\} 1$/m);
      expect(text).toMatch(/^assist_llm_tokens_total\{provider="openai",model="openai\/gpt-4.1",direction="(in|input)"\} 50$/m);
    } finally {
      repo.cleanup();
    }
  });
});
