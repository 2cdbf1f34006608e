import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PAUSE_POINTS, type PausePoint } from '../../src/git/pause.js';
import { reply, startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import { copyTempRepo, tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { CONCURRENT_CLI_TEST_MS } from '../helpers/run-cli.js';
import { cliEnv, crashCli, hasStackTrace, lostUserWork, makeUserWork, repoProblems, runCli, statusOf, type UserWork } from './harness.js';

/**
 * kill -9 at every named point of the store (src/git/pause.ts), then a fresh start. After each:
 * git fsck clean, the batch all old or all new, the user's staged, unstaged and untracked work
 * byte for byte where it was, the session resumable (`assist run` then `assist log`), no stack trace.
 */

const USER_A = 'the user typed this into a.txt\n';
const BATCH = reply.edits([
  { path: 'a.txt', search: USER_A, replace: 'A\n' },
  { path: 'b.txt', search: 'b\n', replace: 'B\n' },
  { path: 'new/c.txt', search: '', replace: 'C\n' },
]);
const RUN = ['run', '--yes', '--json', '-m', 'edit a and b, create c'];

interface Ctx {
  repo: TempRepo;
  server: FakeLlmServer;
  env: NodeJS.ProcessEnv;
  work: UserWork;
}

type Kind = 'run' | 'undo' | 'redo' | 'checkpoint' | 'restore' | 'finish' | 'recover-rollback' | 'recover-finish' | 'pending';

/** Which end states of the batch (a.txt, b.txt, new/c.txt) are correct after the fresh start. */
const ALLOWED: Record<Kind, ReadonlyArray<'old' | 'new'>> = {
  run: ['old', 'new'],
  undo: ['old', 'new'],
  redo: ['old', 'new'],
  checkpoint: ['new'],
  restore: ['old', 'new'],
  finish: ['new'],
  'recover-rollback': ['old'],
  'recover-finish': ['new'],
  pending: ['old'],
};

const KIND_OF: Record<PausePoint, Kind> = {
  'before-write': 'run',
  'between-writes': 'run',
  'after-write': 'run',
  'before-commit': 'run',
  'after-commit': 'run',
  'session-before-refs': 'run',
  'session-before-switch': 'run',
  'event-before-ref': 'run',
  'snapshot-written': 'run',
  'before-index-sync': 'run',
  'before-journal-remove': 'run',
  'undo-before-read-tree': 'undo',
  'undo-after-read-tree': 'undo',
  'undo-after-restore': 'undo',
  'undo-before-ref': 'undo',
  'redo-after-reset': 'redo',
  'redo-before-ref': 'redo',
  'checkpoint-before-ref': 'checkpoint',
  'restore-before-move': 'restore',
  'restore-before-ref': 'restore',
  'finish-after-land': 'finish',
  'finish-after-move': 'finish',
  'finish-after-head': 'finish',
  'finish-before-config': 'finish',
  'recover-mid-rollback': 'recover-rollback',
  'recover-before-remove': 'recover-rollback',
  'drop-pending-mid': 'pending',
};

async function ok(ctx: Ctx, args: string[], replyFor?: Parameters<FakeLlmServer['enqueue']>[0]): Promise<void> {
  if (replyFor) ctx.server.enqueue(replyFor);
  const r = await runCli(args, { cwd: ctx.repo.dir, env: ctx.env });
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
}

/** The repository every case starts from: four committed files, then the user's uncommitted work. */
function freshRepo(): { repo: TempRepo; work: UserWork } {
  const repo = tempRepo({ files: { 'a.txt': 'a\n', 'b.txt': 'b\n', 'staged.txt': 'staged orig\n', 'unstaged.txt': 'unstaged orig\n' } });
  return { repo, work: makeUserWork(repo, { 'a.txt': USER_A }) };
}

/**
 * Where a case's crashing command starts: a fresh repository, or one after the commands that come
 * before it and are not what the case is about (`ran`: the batch went through; `undone`: then
 * undone; `checkpointed`: a first edit, a checkpoint of it, then the batch).
 */
type Start = 'fresh' | 'ran' | 'undone' | 'checkpointed';

const START_OF: Record<Kind, Start> = {
  run: 'fresh',
  undo: 'ran',
  redo: 'undone',
  checkpoint: 'ran',
  restore: 'checkpointed',
  finish: 'ran',
  'recover-rollback': 'fresh',
  'recover-finish': 'fresh',
  pending: 'fresh',
};

const built = new Map<Exclude<Start, 'fresh'>, Promise<{ repo: TempRepo; work: UserWork }>>();

/**
 * A copy of the repository after `start`'s commands. Those commands are the same CLI runs for every
 * case that starts there (each a second of CPU, 15 of the file's ~120), so they run once per file,
 * against a fake server of their own, and each case gets a `cp -a` of their result (`copyTempRepo`,
 * as test/security/fixture.ts does); their exit codes are still checked, where they run.
 */
async function startAt(start: Start): Promise<{ repo: TempRepo; work: UserWork }> {
  if (start === 'fresh') return freshRepo();
  let made = built.get(start);
  if (made === undefined) {
    made = build(start);
    built.set(start, made);
  }
  const { repo, work } = await made;
  return { repo: copyTempRepo(repo), work };
}

async function build(start: Exclude<Start, 'fresh'>): Promise<{ repo: TempRepo; work: UserWork }> {
  const { repo, work } = await startAt(start === 'undone' ? 'ran' : 'fresh');
  process.once('exit', () => repo.cleanup());
  await using server = await startFakeLlm();
  const ctx: Ctx = { repo, server, env: cliEnv(repo, server), work };
  switch (start) {
    case 'ran':
      await ok(ctx, RUN, BATCH);
      break;
    case 'undone':
      await ok(ctx, ['undo']);
      break;
    case 'checkpointed':
      await ok(ctx, ['run', '--yes', '-m', 'start with x'], reply.edits([{ path: 'x.txt', search: '', replace: 'x\n' }]));
      await ok(ctx, ['checkpoint', 'create', 'before-batch']);
      await ok(ctx, RUN, BATCH);
      break;
  }
  return { repo, work };
}

/** Runs the command that crashes at `point`, in a repository already at `START_OF[kind]`. */
async function crashScenario(ctx: Ctx, point: PausePoint, kind: Kind): Promise<void> {
  const crash = async (args: string[], at: string, withReply = false): Promise<void> => {
    if (withReply) ctx.server.enqueue(BATCH);
    const r = await crashCli(args, { cwd: ctx.repo.dir, env: ctx.env, point: at });
    expect(r.paused, `did not pause at ${at}: exit ${r.result?.code} ${r.result?.stderr ?? ''}`).toBe(true);
  };
  switch (kind) {
    case 'run':
      return crash(RUN, point, true);
    case 'undo':
      return crash(['undo'], point);
    case 'redo':
      return crash(['redo'], point);
    case 'checkpoint':
      return crash(['checkpoint', 'create', 'named'], point);
    case 'restore':
      return crash(['checkpoint', 'restore', 'before-batch'], point);
    case 'finish':
      return crash(['session', 'finish'], point);
    case 'recover-rollback':
      await crash(RUN, 'between-writes', true);
      // `undo` recovers first: it stops inside the recovery of the batch the first crash left.
      return crash(['undo'], point);
    case 'recover-finish':
      await crash(RUN, 'after-write', true);
      return crash(['undo'], point);
    case 'pending': {
      const hook = join(ctx.repo.dir, '.git', 'hooks', 'pre-commit');
      writeFileSync(hook, '#!/bin/sh\necho "lint: 1 problem" >&2\nexit 1\n');
      chmodSync(hook, 0o755);
      ctx.server.enqueue(BATCH);
      const r = await runCli([...RUN, '--no-branch'], { cwd: ctx.repo.dir, env: ctx.env });
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toContain('pre-commit');
      await crash(['undo'], point);
      // The person fixes the hook; the fresh start finishes dropping the batch.
      writeFileSync(hook, '#!/bin/sh\nexit 0\n');
      const again = await runCli(['undo'], { cwd: ctx.repo.dir, env: ctx.env });
      // The fresh start rolls the half-dropped batch back during recovery; then there is nothing left to undo.
      expect([0, 3], again.stderr).toContain(again.code);
      expect(hasStackTrace(again.stderr)).toBe(false);
      return;
    }
  }
}

function batchState(repo: TempRepo): 'old' | 'new' | string {
  const read = (p: string): string | null => (existsSync(join(repo.dir, p)) ? readFileSync(join(repo.dir, p), 'utf8') : null);
  const a = read('a.txt');
  const b = read('b.txt');
  const c = read('new/c.txt');
  if (a === USER_A && b === 'b\n' && c === null) return 'old';
  if (a === 'A\n' && b === 'B\n' && c === 'C\n') return 'new';
  return `mixed: a=${JSON.stringify(a)} b=${JSON.stringify(b)} c=${JSON.stringify(c)}`;
}

/**
 * Points where the store leaves the work tree and index moved but the refs not: BUG (src/git/store.ts,
 * undo/redo/restore/finish): `moveTo` runs before the ref transaction and nothing journals it, so
 * a crash between them leaves the index and work tree at the target while HEAD stays where it was
 * (`git status` shows the undo as staged changes) and the next start does not notice.
 */
const KNOWN_BROKEN = new Set<string>([]);

describe.concurrent('kill -9 at each named point, then a fresh start', { timeout: CONCURRENT_CLI_TEST_MS }, () => {
  it('names at least 25 points', () => {
    expect(PAUSE_POINTS.length).toBeGreaterThanOrEqual(25);
    expect(Object.keys(KIND_OF).sort()).toEqual([...PAUSE_POINTS].sort());
  });

  const cases: { point: PausePoint; kind: Kind }[] = [
    ...PAUSE_POINTS.map((point) => ({ point, kind: KIND_OF[point] })),
    // Recovery finishing a batch goes through the commit path: crash it there too.
    { point: 'before-commit', kind: 'recover-finish' },
    { point: 'after-commit', kind: 'recover-finish' },
  ];
  for (const { point, kind } of cases) {
    const test = KNOWN_BROKEN.has(`${point}/${kind}`) ? it.fails : it;
    test(`${point} (${kind})`, async ({ task }) => {
      task.meta.fault = 'process';
      task.meta.faultCases = 1;
      task.meta.faultSurvived = 0;
      await using server = await startFakeLlm();
      const start = await startAt(START_OF[kind]);
      await using repo = start.repo;
      const work = start.work;
      const ctx: Ctx = { repo, server, env: cliEnv(repo, server), work };
      await crashScenario(ctx, point, kind);
      task.meta.faultLost = lostUserWork(repo, work).length;

      // The fresh start: a new request goes through (recovering first), then the log replays.
      server.reset();
      server.enqueue(reply.edits([{ path: 'next.txt', search: '', replace: 'next\n' }]));
      const next = await runCli(['run', '--yes', '--json', '-m', 'add next.txt'], { cwd: repo.dir, env: ctx.env });
      expect(hasStackTrace(next.stderr), next.stderr).toBe(false);
      expect(next.code, next.stderr).toBe(0);
      const out = JSON.parse(next.stdout) as { commits: string[]; branch: string };
      expect(out.commits).toHaveLength(1);
      expect(repo.git('rev-parse', 'HEAD')).toBe(out.commits[0]);
      expect(repo.git('symbolic-ref', 'HEAD')).toMatch(/^refs\/heads\/(assist\/|main$)/);
      const log = await runCli(['log'], { cwd: repo.dir, env: ctx.env });
      expect(log.code, log.stderr).toBe(0);
      expect(hasStackTrace(log.stderr)).toBe(false);

      const lost = lostUserWork(repo, work);
      task.meta.faultLost = lost.length;
      expect(lost).toEqual([]);
      expect(repoProblems(repo)).toEqual([]);
      const state = batchState(repo);
      expect(ALLOWED[kind], `batch state after ${point}: ${state}`).toContain(state);
      // Nothing of the batch is left half-committed: all new means committed, all old means the user's a.txt back.
      expect(statusOf(repo, ['a.txt', 'b.txt', 'new'])).toBe(state === 'new' ? '' : ' M a.txt');
      // The journal file stays between batches, emptied when one ends (src/git/journal.ts): no batch is pending.
      const journal = join(repo.dir, '.git', 'assist', 'journal', 'batch.json');
      expect(existsSync(journal) ? readFileSync(journal, 'utf8') : '').toBe('');
      task.meta.faultSurvived = 1;
    });
  }

  it('an interrupted undo whose HEAD was moved by hand since is dropped, not forced through', async ({ task }) => {
    task.meta.fault = 'process';
    task.meta.faultSurvived = 0;
    await using server = await startFakeLlm();
    const start = await startAt('ran');
    await using repo = start.repo;
    const ctx: Ctx = { repo, server, env: cliEnv(repo, server), work: start.work };
    const r = await crashCli(['undo'], { cwd: repo.dir, env: ctx.env, point: 'undo-before-ref' });
    expect(r.paused).toBe(true);
    // The person looks at the odd state and goes back to main themselves.
    repo.git('switch', '-q', 'main');
    const head = repo.git('rev-parse', 'HEAD');
    server.enqueue(reply.edits([{ path: 'next.txt', search: '', replace: 'next\n' }]));
    const next = await runCli(['run', '--yes', '--json', '-m', 'add next.txt'], { cwd: repo.dir, env: ctx.env });
    expect(next.code, next.stderr).toBe(0);
    expect(repo.git('rev-parse', 'HEAD^')).toBe(head);
    expect(existsSync(join(repo.dir, '.git', 'assist', 'move.json'))).toBe(false);
    const lost = lostUserWork(repo, ctx.work);
    task.meta.faultLost = lost.length;
    expect(lost).toEqual([]);
    expect(repoProblems(repo)).toEqual([]);
    task.meta.faultSurvived = 1;
  });
});
