import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reply, startFakeLlm } from '../fake-llm/index.js';
import { tempRepo } from '../helpers/git-repo.js';
import { projectRoot, runCli } from '../helpers/run-cli.js';

/** The V8 flags each process of a command set for itself (bin/assist.js), one list per process. */
async function flagsOf(args: string[], env: NodeJS.ProcessEnv, cwd: string, file: string): Promise<{ code: number; stderr: string; flags: string[]; lateBuiltins: string[] }> {
  const late = `${file}.late`;
  const r = await runCli(args, { cwd, env: { ...env, NODE_OPTIONS: `--import=${join(projectRoot, 'test', 'helpers', 'trace-v8-flags.mjs')}`, TRACE_V8_FLAGS_FILE: file, TRACE_LATE_BUILTINS_FILE: late } });
  const last = (f: string): string[] => JSON.parse(readFileSync(f, 'utf8').split('\n').filter(Boolean).at(-1)!) as string[];
  return { code: r.code, stderr: r.stderr, flags: last(file), lateBuiltins: last(late) };
}

describe('a warm turn runs WebAssembly as Liftoff compiled it', () => {
  it('commands that ask no model leave V8 as it is', async () => {
    await using repo = tempRepo();
    const file = join(repo.home, 'flags.txt');
    expect((await flagsOf(['--help'], repo.env, repo.dir, file)).flags).toEqual([]);
    // A help screen starts none of the git processes its command's run would start first.
    const trace = join(repo.home, 'help-git-trace.txt');
    expect((await flagsOf(['map', '--help'], { ...repo.env, GIT_TRACE: trace }, repo.dir, file)).flags).toEqual([]);
    expect((await flagsOf(['search', '-h'], { ...repo.env, GIT_TRACE: trace }, repo.dir, file)).code).toBe(0);
    expect(existsSync(trace) ? readFileSync(trace, 'utf8') : '').toBe('');
    expect((await flagsOf(['config', 'list'], repo.env, repo.dir, file)).flags).toEqual([]);
  });

  it('a first `run` (cold map) keeps the defaults; the next `run` and `assist "MESSAGE"` set --liftoff-only, and fetch still talks to the model', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'notes.txt': 'state 0\n' } });
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1' };
    const file = join(repo.home, 'flags.txt');
    const edit = (from: number): string => `Changing it.\n\nnotes.txt\n\`\`\`\n<<<<<<< SEARCH\nstate ${from}\n=======\nstate ${from + 1}\n>>>>>>> REPLACE\n\`\`\`\n`;
    server.defaultReply = reply.text(edit(0));
    const cold = await flagsOf(['run', '--yes', '-m', 'bump the state'], env, repo.dir, file);
    expect(cold.code, cold.stderr).toBe(0);
    // The first run builds the map (every source file parsed): V8 as it is.
    expect(cold.flags).toEqual([]);
    server.defaultReply = reply.text(edit(1));
    const warm = await flagsOf(['run', '--yes', '-m', 'bump the state'], env, repo.dir, file);
    expect(warm.code, warm.stderr).toBe(0);
    expect(warm.flags).toEqual(['--liftoff-only']);
    // Node's modules the turn needs (fetch's undici among them) were loaded before the flag: one
    // loaded after it is compiled from source (bin/assist.js TURN_BUILTINS).
    expect(warm.lateBuiltins).toEqual([]);
    expect(readFileSync(join(repo.dir, 'notes.txt'), 'utf8')).toBe('state 2\n');
    // The message form asks the model the same way.
    server.defaultReply = reply.text('Nothing to change.');
    const line = await flagsOf(['say what the notes hold'], env, repo.dir, file);
    expect(line.code, line.stderr).toBe(5);
    expect(line.flags).toEqual(['--liftoff-only']);
    expect(server.requests.length).toBe(3);
    // A help screen of `run`, with the map's snapshot in place, is no turn: no flag, no git process.
    const trace = join(repo.home, 'help-git-trace.txt');
    const help = await flagsOf(['run', '--help'], { ...env, GIT_TRACE: trace }, repo.dir, file);
    expect(help.code, help.stderr).toBe(0);
    expect(help.flags).toEqual([]);
    expect(existsSync(trace) ? readFileSync(trace, 'utf8') : '').toBe('');
  });

  it('a warm turn that parses a changed source file keeps --liftoff-only on and its code cache valid', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'notes.txt': 'state 0\n', 'src/shapes.ts': 'export function area(w: number, h: number): number {\n  return w * h;\n}\n' } });
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CODE_CACHE_DIR: join(repo.home, 'code-cache'), ASSIST_CODE_CACHE_DEBUG: '1' };
    const file = join(repo.home, 'flags.txt');
    server.defaultReply = reply.text('Nothing to change.');
    expect((await flagsOf(['run', '-m', 'what is there'], env, repo.dir, file)).code).toBe(5);
    // Changed since the map was made: the warm turn parses it on its own thread (the map's baseline load).
    writeFileSync(join(repo.dir, 'src', 'shapes.ts'), 'export function area(w: number, h: number): number {\n  return w * h;\n}\n\nexport function perimeter(w: number, h: number): number {\n  return 2 * (w + h);\n}\n');
    const warm = await flagsOf(['run', '-m', 'what is there'], env, repo.dir, file);
    expect(warm.code, warm.stderr).toBe(5);
    // Set once by the entry point, never turned off by the parser's load.
    expect(warm.flags).toEqual(['--liftoff-only']);
    expect(warm.stderr).toMatch(/assist code cache: (missing|rejected) /);
    // The cache that turn wrote is taken by the next (it was refused while the load turned the flag off).
    const next = await flagsOf(['run', '-m', 'what is there'], env, repo.dir, file);
    expect(next.code, next.stderr).toBe(5);
    expect(next.stderr).toMatch(/assist code cache: accepted /);
    expect(server.requests.length).toBe(3);
  });
});
