import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply, type RecordedRequest } from '../fake-llm/index.js';

const MODEL = 'openai/gpt-4.1';

/** The system prompt of a request, whichever way the wire carries it. */
function systemOf(request: RecordedRequest): string {
  return request.system ?? request.messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.content).join('\n');
}

function positions(text: string, markers: readonly string[]): number[] {
  return markers.map((m) => text.indexOf(m));
}

describe('instruction files in the request', () => {
  it('carries the root AGENTS.md, src/AGENTS.md, the CLAUDE.md of a folder without AGENTS.md and its @import, in that order', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({
      files: {
        'AGENTS.md': '# Root\nROOT-RULE: run npm test before you answer.\n',
        'src/AGENTS.md': 'SRC-RULE: source files use tabs.\n',
        'src/lib/CLAUDE.md': 'LIB-CLAUDE-RULE: no default exports.\n@../../docs/naming.md\n',
        'src/lib/GEMINI.md': 'NEVER-SENT: CLAUDE.md comes first in this folder.\n',
        'src/lib/x.ts': 'export const x = 1;\n',
        'docs/naming.md': 'IMPORTED-RULE: names are camelCase.\n',
        'other/AGENTS.md': 'NEVER-SENT: not on the way down to the current directory.\n',
      },
    });
    server.enqueue(reply.text('All clear.'));
    server.enqueue(reply.text('Still clear.'));
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: MODEL, ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const cwd = join(repo.dir, 'src', 'lib');
    // A reply without edits: exit 5, nothing to do.
    const r = await runCli(['run', '-m', 'what are the rules?'], { cwd, env });
    expect(r.code, r.stderr).toBe(5);
    const system = systemOf(server.requests[0]!);
    const at = positions(system, ['ROOT-RULE', 'SRC-RULE', 'LIB-CLAUDE-RULE', 'IMPORTED-RULE']);
    expect(at.every((p) => p >= 0), system).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(system).toContain('## src/lib/CLAUDE.md\n\nLIB-CLAUDE-RULE: no default exports.\nIMPORTED-RULE: names are camelCase.');
    expect(system).not.toContain('NEVER-SENT');

    // A second run sends the same bytes: the instructions are part of the stable prefix.
    const again = await runCli(['run', '-m', 'and now?'], { cwd, env });
    expect(again.code, again.stderr).toBe(5);
    expect(systemOf(server.requests[1]!)).toBe(system);

    // `assist doctor` names them with their sizes.
    const doctor = await runCli(['doctor', '--json'], { cwd, env });
    const checks = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; level: string; what: string }> }).checks;
    const instructions = checks.find((c) => c.id === 'instructions');
    expect(instructions?.level).toBe('ok');
    expect(instructions?.what).toBe('instructions: AGENTS.md 50 B; src/AGENTS.md 33 B; src/lib/CLAUDE.md 73 B (imports docs/naming.md)');
  });

  it('cuts a 40 KiB set to 32 KiB, keeping the nearest, and says in the request, /tokens and doctor what was left out', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({
      files: {
        'AGENTS.md': `ROOT-BIG ${'r'.repeat(24 * 1024 - 10)}\n`,
        'src/AGENTS.md': `SRC-BIG ${'s'.repeat(16 * 1024 - 9)}\n`,
        'src/a.ts': 'export const a = 1;\n',
      },
    });
    server.enqueue(reply.text('Fine.'));
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: MODEL, ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const cwd = join(repo.dir, 'src');
    const r = await runCli(['run', '-m', 'hello'], { cwd, env });
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toContain('instructions: over 32 KiB, left out: AGENTS.md');
    const system = systemOf(server.requests[0]!);
    expect(system).toContain('SRC-BIG');
    expect(system).not.toContain('ROOT-BIG');
    expect(system).toContain('Left out to keep the instructions within 32 KiB (the nearest were kept): AGENTS.md (24 KiB).');
    const section = system.slice(system.indexOf('# Instructions'));
    expect(Buffer.byteLength(section)).toBeLessThanOrEqual(32 * 1024 + 1024);

    const chat = await runCli(['chat'], { cwd, env, input: '/tokens\n' });
    expect(chat.code, chat.stderr).toBe(0);
    expect(chat.stdout).toMatch(/instructions\s+\d+/);
    expect(chat.stdout).toContain('src/AGENTS.md 16 KiB');
    expect(chat.stdout).toContain('left out: AGENTS.md 24 KiB (over the 32 KiB of instructions; the nearest files were kept)');

    const doctor = await runCli(['doctor', '--json'], { cwd, env });
    const check = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; level: string; what: string }> }).checks.find((c) => c.id === 'instructions');
    expect(check?.level).toBe('warn');
    expect(check?.what).toContain('left out: AGENTS.md 24 KiB');
  });

  it('keeps the instructions and the person’s first-turn constraint word for word through two compressions', async () => {
    await using server = await startFakeLlm();
    const WINDOW = 3600;
    server.contextWindow = WINDOW;
    await using repo = tempRepo({ files: { 'a.txt': 'one\n', 'AGENTS.md': 'HOUSE-RULE: every commit message starts with a verb.\n' } });
    mkdirSync(join(repo.home, '.config', 'assist'), { recursive: true });
    writeFileSync(join(repo.home, '.config', 'assist', 'config.toml'), `[models."${MODEL}"]\ncontext_window = ${WINDOW}\nmax_output = 512\n`);
    const isSummary = (request: RecordedRequest): boolean => JSON.stringify(request.body).includes('You summarise a conversation');
    const answer = (request: RecordedRequest) =>
      isSummary(request) ? reply.text('SUMMARY: the assistant explained topics at length.') : reply.text(`Reply about it. ${'Lorem ipsum dolor sit amet, consectetur. '.repeat(25)}`);
    const turns = 10;
    for (let i = 0; i < turns * 2; i++) server.enqueue(answer);
    const constraint = 'CONSTRAINT: never touch the file called legacy.c, whatever else you change.';
    const input = [constraint, ...Array.from({ length: turns - 1 }, (_, i) => `Question ${i + 1}: ${'tell me more about this long topic please. '.repeat(35)}`)].join('\n') + '\n';
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: MODEL, ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const r = await runCli(['chat'], { cwd: repo.dir, env, input, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const summaries = server.requests.filter(isSummary);
    expect(summaries.length).toBeGreaterThanOrEqual(2);
    expect(r.stderr.match(/compressing/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    const answered = server.requests.filter((q) => !isSummary(q));
    expect(answered).toHaveLength(turns);
    for (const q of server.requests) expect(q.promptTokens).toBeLessThanOrEqual(WINDOW);
    // The last request: after both compressions, still the instructions and the constraint, as written.
    const last = answered[turns - 1]!;
    const lastIndex = server.requests.indexOf(last);
    expect(server.requests.slice(0, lastIndex).filter(isSummary).length).toBeGreaterThanOrEqual(2);
    expect(systemOf(last)).toContain('HOUSE-RULE: every commit message starts with a verb.');
    const history = last.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
    expect(history).toContain(constraint);
    expect(history).toContain('SUMMARY:');
    // The second summary was asked with the first one in its transcript, not the person's words again.
    const second = summaries[1]!;
    expect(JSON.stringify(second.body)).toContain('EARLIER SUMMARY: SUMMARY:');
  });
});

describe('assist init', () => {
  it('writes AGENTS.md from the package.json scripts and the layout, and never overwrites it', async () => {
    await using repo = tempRepo({
      files: {
        'package.json': JSON.stringify({ name: 'demo', scripts: { build: 'tsc', test: 'vitest run', lint: 'eslint .' } }),
        'package-lock.json': '{}\n',
        'src/index.ts': 'export const x = 1;\n',
        'test/index.test.ts': 'import "../src/index";\n',
      },
    });
    const env = repo.env;
    const r = await runCli(['init'], { cwd: join(repo.dir, 'src'), env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`wrote ${join(repo.dir, 'AGENTS.md')}`);
    const written = readFileSync(join(repo.dir, 'AGENTS.md'), 'utf8');
    expect(written).toContain('- install: `npm ci`\n- build: `npm run build`\n- test: `npm test`\n- lint: `npm run lint`');
    expect(written).toContain('- `src/`: 1 file');
    expect(written).toContain('- `test/`: 1 file');
    expect(written).toContain('TypeScript (2 files)');

    // What a session here would send now includes it.
    const doctor = await runCli(['doctor', '--json'], { cwd: repo.dir, env });
    const check = (JSON.parse(doctor.stdout) as { checks: Array<{ id: string; what: string }> }).checks.find((c) => c.id === 'instructions');
    expect(check?.what).toMatch(/^instructions: AGENTS\.md \d/);

    writeFileSync(join(repo.dir, 'AGENTS.md'), 'MINE\n');
    const again = await runCli(['init'], { cwd: repo.dir, env });
    expect(again.code).toBe(3);
    expect(again.stderr).toBe(`error: ${join(repo.dir, 'AGENTS.md')} already exists: assist init never overwrites it\n`);
    expect(readFileSync(join(repo.dir, 'AGENTS.md'), 'utf8')).toBe('MINE\n');
  });
});
