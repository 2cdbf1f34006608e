import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { FAKE_KEYS, reply, startFakeLlm } from '../fake-llm/index.js';

describe('assist run with a Gemini model', () => {
  it('--model google/gemini-2.5-flash: the edit is applied and committed, usage and cost reported', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'src/greet.ts': 'export function greet(name: string): string {\n  return "hello " + name;\n}\n' } });
    server.enqueue(
      reply.edits([{ path: 'src/greet.ts', search: '  return "hello " + name;\n', replace: '  return `Hello, ${name}!`;\n' }], {
        usage: { input: 1_000_000, output: 100_000, cached: 0 },
      }),
    );
    // Only the Gemini variables: the run must not lean on another provider. With both key names set,
    // GEMINI_API_KEY wins, and the SDK's console warning about the pair stays out of the output.
    const fake = server.env();
    const env = { ...repo.env, GEMINI_API_KEY: fake.GEMINI_API_KEY, GOOGLE_API_KEY: 'the-other-google-key', GOOGLE_GEMINI_BASE_URL: fake.GOOGLE_GEMINI_BASE_URL, ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const r = await runCli(['run', '--model', 'google/gemini-2.5-flash', '-m', 'make greet friendlier', '--yes', '--json', 'src/greet.ts'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { commits: string[]; files: string[]; usage: { input_tokens: number; output_tokens: number; estimated: boolean; cost_usd: number | null } };
    expect(out.files).toEqual(['src/greet.ts']);
    expect(out.commits).toHaveLength(1);
    expect(readFileSync(join(repo.dir, 'src/greet.ts'), 'utf8')).toContain('`Hello, ${name}!`');
    expect(out.usage).toMatchObject({ input_tokens: 1_000_000, output_tokens: 100_000, estimated: false });
    // $0.30 per million in, $2.50 per million out.
    expect(out.usage.cost_usd).toBeCloseTo(0.55);
    expect(repo.git('log', '-1', '--format=%B', out.commits[0]!)).toContain('Assist-Model: google/gemini-2.5-flash');

    const sent = server.requests.find((q) => q.provider === 'google')!;
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    expect(sent.apiKey).toBe(FAKE_KEYS.google);
    expect(JSON.stringify(sent.body)).toContain('return \\"hello \\" + name;');
    expect(r.stdout + r.stderr).not.toContain(FAKE_KEYS.google);
    expect(r.stderr).not.toContain('GOOGLE_API_KEY');
  });
});
