import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { formatEditBlocks, reply, startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';

const ID = '20250101-120000-abcd';

/**
 * A session as assist wrote it before event commits had a readable subject: the event JSON is the
 * whole commit message. Built with plain git commands: a session branch with one edit commit, and
 * a chain of session-started, message, reply and edit.
 */
function oldFormatSession(repo: TempRepo): { base: string; edit: string } {
  const base = repo.git('rev-parse', 'HEAD');
  repo.git('config', `branch.assist/${ID}.assistSession`, ID);
  repo.git('config', `branch.assist/${ID}.assistBase`, 'main');
  repo.git('config', `branch.assist/${ID}.assistBaseCommit`, base);
  repo.git('switch', '-q', '-c', `assist/${ID}`);
  repo.write('a.txt', 'two\n');
  repo.git('commit', '-q', '-am', 'Make a.txt say two');
  const edit = repo.git('rev-parse', 'HEAD');
  const empty = repo.git('mktree');
  const common = { v: 1, session: ID, lastEdit: null, redo: null };
  const events = [
    { ...common, at: '2025-01-01T12:00:00.000Z', tip: base, type: 'session-started', branch: `refs/heads/assist/${ID}`, base: { ref: 'main', commit: base }, noBranch: false, command: 'assist run' },
    { ...common, at: '2025-01-01T12:00:01.000Z', tip: base, type: 'message', request: 'r1', text: 'make a.txt say two' },
    { ...common, at: '2025-01-01T12:00:02.000Z', tip: base, type: 'reply', request: 'r1', text: 'Here is the change.', model: 'openai/gpt-4.1', usage: { input_tokens: 10, output_tokens: 5 } },
    {
      ...common,
      at: '2025-01-01T12:00:03.000Z',
      tip: edit,
      type: 'edit',
      request: 'r1',
      model: 'openai/gpt-4.1',
      summary: 'Make a.txt say two',
      commit: edit,
      parent: base,
      snapshot: null,
      files: [{ path: 'a.txt', change: 'M' }],
      prevEdit: null,
    },
  ];
  let prev: string | null = null;
  for (const event of events) prev = repo.git('commit-tree', empty, ...(prev ? ['-p', prev] : []), '-m', JSON.stringify(event));
  repo.git('update-ref', `refs/assist/log/${ID}`, prev ?? '');
  return { base, edit };
}

const cliEnv = (repo: TempRepo, server: FakeLlmServer): NodeJS.ProcessEnv => ({ ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' });

describe('the event chain through the CLI', () => {
  it('a session written in the old format (JSON as the subject) replays: log, --resume, undo and redo', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    const { base, edit } = oldFormatSession(repo);
    const env = cliEnv(repo, server);

    const log = await runCli(['log'], { cwd: repo.dir, env });
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout.trim().split('\n').map((l) => l.replace(/^\S+ {2}/, ''))).toEqual([
      'started on assist/20250101-120000-abcd from main',
      'you: make a.txt say two',
      'openai/gpt-4.1: Here is the change. [10+5 tokens]',
      `edit ${edit.slice(0, 10)} Make a.txt say two (M a.txt)`,
    ]);

    const resumed = await runCli(['chat', '--resume'], { cwd: repo.dir, env, input: '' });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`resumed session ${ID} with 1 exchanges`);

    const undo = await runCli(['undo'], { cwd: repo.dir, env });
    expect(undo.code, undo.stderr).toBe(0);
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('one\n');
    expect(repo.git('rev-parse', 'HEAD')).toBe(base);

    // The chain now mixes both formats; everything still reads, the undone exchange included.
    const after = await runCli(['log', '--json'], { cwd: repo.dir, env });
    const events = (JSON.parse(after.stdout) as { events: Array<{ type: string; reverted: boolean }> }).events;
    expect(events.map((e) => `${e.type}${e.reverted ? ' (undone)' : ''}`)).toEqual(['session-started', 'message (undone)', 'reply (undone)', 'edit (undone)', 'undo']);
    const subjects = repo.git('log', '--format=%s', `refs/assist/log/${ID}`).split('\n');
    expect(subjects[0]).toBe(`assist ${ID}: undo 1 edit`);
    expect(subjects.slice(1).every((s) => s.startsWith('{"v":1'))).toBe(true);

    const redo = await runCli(['redo'], { cwd: repo.dir, env });
    expect(redo.code, redo.stderr).toBe(0);
    expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('two\n');
    expect(repo.git('rev-parse', 'HEAD')).toBe(edit);
  });

  it('a 5 MB reply: no commit message anywhere holds it, `git log --format=%s` reads as lines, and log gives the reply back', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'one\n' } });
    const preamble = `${'The reasoning goes on and on. '.repeat(170_000)}\n`;
    const text = `${preamble}${formatEditBlocks([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }])}`;
    expect(text.length).toBeGreaterThan(5_000_000);
    // 4 KiB deltas, not the fake's default 16 characters: 320,000 frames cost the two processes
    // CPU time while the test is about where the 5 MB text lands, not how it was cut.
    server.enqueue(reply.text(text, { chunkSize: 4096 }));
    const env = cliEnv(repo, server);
    const r = await runCli(['run', '--yes', '--json', '-m', 'make a.txt say two', 'a.txt'], { cwd: repo.dir, env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const { session } = JSON.parse(r.stdout) as { session: string };

    const commits = repo.git('rev-list', '--all').split('\n');
    const biggest = Math.max(...commits.map((c) => Number(repo.git('cat-file', '-s', c))));
    expect(biggest).toBeLessThan(70 * 1024);
    expect(repo.git('log', '--all', '--oneline').length).toBeLessThan(5_000);

    const subjects = repo.git('log', '--reverse', '--format=%s', `refs/assist/log/${session}`).split('\n');
    expect(subjects).toEqual([
      `assist ${session}: session-started from main`,
      `assist ${session}: message "make a.txt say two"`,
      `assist ${session}: reply openai/gpt-4.1 "The reasoning goes on and on. The reasoning goes on an…"`,
      `assist ${session}: branch-created assist/${session} from main`,
      `assist ${session}: edit Make a.txt say two`,
    ]);

    const log = await runCli(['log', '--json'], { cwd: repo.dir, env });
    const events = (JSON.parse(log.stdout) as { events: Array<{ type: string; text?: string }> }).events;
    expect(events.find((e) => e.type === 'reply')?.text).toBe(text);
  });
});
