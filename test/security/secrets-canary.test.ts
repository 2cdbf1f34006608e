import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reply, startFakeLlm } from '../fake-llm/index.js';
import { tempRepo } from '../helpers/git-repo.js';
import { hasStackTrace, runCli } from '../faults/harness.js';

/**
 * Secrets canary: a canary key in every provider variable, a representative set of commands
 * (run, chat over stdin, undo, log, doctor, config list, a 401 whose message echoes the key, runs
 * with --log-file and --metrics-file), then every artefact is grepped for the canaries: stdout,
 * stderr, the log and metrics files, every file under .git and the home directory raw, and every
 * git object decompressed (commit messages, notes, the event chain, blobs). Must be 0 hits.
 */

// One key-shaped (caught by shape as well as by value), the others plain, so exact-value scrubbing is what is tested.
const CANARY = {
  OPENAI_API_KEY: `sk-canary${randomBytes(12).toString('hex')}`,
  ANTHROPIC_API_KEY: `CANARYanthropic${randomBytes(10).toString('hex')}`,
  GITHUB_TOKEN: `CANARYgithub${randomBytes(10).toString('hex')}`,
  OPENROUTER_API_KEY: `CANARYrouter${randomBytes(10).toString('hex')}`,
  MY_SERVICE_SECRET: `CANARYsecret${randomBytes(10).toString('hex')}`,
};

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const st = lstatSync(full);
    if (st.isDirectory()) out.push(...filesUnder(full));
    else if (st.isFile()) out.push(full);
  }
  return out;
}

describe('secrets canary', () => {
  it('no canary key reaches stdout, stderr, logs, metrics, commits, notes, the chain, the audit log or the caches', async ({ task }) => {
    task.meta.fault = 'secrets';
    task.meta.faultSurvived = 0;
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n', 'b.py': 'def b():\n    return 1\n', 'src/c.ts': 'export const c = 1;\n' } });
    server.apiKeys = { openai: CANARY.OPENAI_API_KEY, anthropic: CANARY.ANTHROPIC_API_KEY };
    const env: NodeJS.ProcessEnv = { ...repo.env, ...server.env(), ...CANARY, ASSIST_MODEL: 'openai/gpt-4.1' };
    const log = join(repo.home, 'assist.log');
    const metrics = join(repo.home, 'assist.prom');
    const outputs: string[] = [];
    const run = async (args: string[], input?: string, extra: NodeJS.ProcessEnv = {}): Promise<number> => {
      const r = await runCli(args, { cwd: repo.dir, env: { ...env, ...extra }, ...(input === undefined ? {} : { input }) });
      outputs.push(`$ assist ${args.join(' ')}\n${r.stdout}\n${r.stderr}`);
      expect(hasStackTrace(r.stderr), r.stderr).toBe(false);
      return r.code;
    };

    server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }]));
    expect(await run(['run', '--yes', '--json', '--log-file', log, '--metrics-file', metrics, '-m', 'change a; my key is in the env'])).toBe(0);
    expect(server.requests[0]?.apiKey).toBe(CANARY.OPENAI_API_KEY);

    server.enqueue(reply.edits([{ path: 'b.py', search: '    return 1\n', replace: '    return 2\n' }]));
    expect(await run(['--log-file', log, 'chat', '--yes'], 'make b return 2\n/tokens\n/diff\n/exit\n', { ASSIST_MODEL: 'anthropic/claude-sonnet-4-5' })).toBe(0);
    expect(server.requests.at(-1)?.apiKey).toBe(CANARY.ANTHROPIC_API_KEY);

    expect(await run(['undo'])).toBe(0);
    expect(await run(['log'])).toBe(0);
    expect(await run(['log', '--json'])).toBe(0);
    expect(await run(['session', 'show'])).toBe(0);
    await run(['doctor']);
    expect(await run(['config', 'list', '--show-origin'])).toBe(0);
    await run(['map', '--json']);
    await run(['summaries', 'refresh', '--all']);

    // A provider that rejects the key and echoes it in its message, through both SDKs.
    server.enqueue(reply.unauthorized({ message: `Incorrect API key provided: ${CANARY.OPENAI_API_KEY}. You can find your API key at https://example.invalid.` }));
    expect(await run(['run', '--yes', '--log-file', log, '--metrics-file', metrics, '-m', 'again'])).toBe(4);
    server.enqueue(reply.unauthorized({ message: `invalid x-api-key ${CANARY.ANTHROPIC_API_KEY}` }));
    expect(await run(['--verbose', 'run', '--yes', '--log-file', log, '-m', 'again'], undefined, { ASSIST_MODEL: 'anthropic/claude-sonnet-4-5' })).toBe(4);

    // Every artefact.
    const artefacts = new Map<string, string>();
    outputs.forEach((o, i) => artefacts.set(`command output #${i}`, o));
    for (const f of [...filesUnder(join(repo.dir, '.git')), ...filesUnder(repo.home), ...filesUnder(repo.dir).filter((f) => !f.includes('/.git/'))]) {
      artefacts.set(f, readFileSync(f, 'latin1'));
    }
    artefacts.set('git objects', execFileSync('git', ['cat-file', '--batch-all-objects', '--batch'], { cwd: repo.dir, env: repo.env, maxBuffer: 256 * 1024 * 1024 }).toString('latin1'));
    artefacts.set('git log --all', repo.git('log', '--all', '--format=%H%n%B', '--notes=assist'));
    expect(existsSync(log)).toBe(true);
    expect(existsSync(metrics)).toBe(true);
    expect(artefacts.get('git log --all')).toContain('Assist-Session');

    const hits: string[] = [];
    for (const [where, text] of artefacts) {
      for (const [name, value] of Object.entries(CANARY)) {
        // The whole value and a long-enough piece of it (a truncated key is still a leak).
        if (text.includes(value) || text.includes(value.slice(0, 16)) || text.includes(value.slice(-16))) hits.push(`${name} in ${where}`);
      }
    }
    task.meta.faultLost = hits.length;
    expect(artefacts.size).toBeGreaterThan(40);
    expect(hits).toEqual([]);
    task.meta.faultSurvived = 1;
  }, 90_000);
});
