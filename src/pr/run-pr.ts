import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AssistError, ExitCode, refusal, usageError } from '../errors.js';
import type { ConfigValue } from '../config/index.js';
import type { Config } from '../config/types.js';
import type { Usage } from '../llm/types.js';
import type { SessionUI, TurnResult } from '../session/index.js';
import type { openStore as OpenStore } from '../git/index.js';
import { resolveBase, slugify, type PrBase } from './base.js';
import { renderBody, squashBody } from './body.js';
import type { ReviewJson } from '../review/index.js';
import { loadPrConfig } from './config.js';
import { gitRunner, withoutPushCredentials, withoutRepoHooks, type GitRunner } from './git.js';
import { pushBranch } from './push.js';

/** What `assist pr` was asked to do. */
export interface PrOptions {
  /** Any directory of the work tree; `bodyFile` is relative to it. */
  cwd: string;
  env: NodeJS.ProcessEnv;
  task: string;
  /** `--base`: the ref to start from and target. */
  base?: string | undefined;
  /** `--branch`: the branch to create (default `assist/pr-<slug>-<session-id>`). */
  branch?: string | undefined;
  push?: boolean;
  /** Default `origin`. */
  remote?: string | undefined;
  squash?: boolean;
  bodyFile?: string | undefined;
  /** Run the repository's own git hooks (default: none run). */
  allowRepoHooks?: boolean;
  /** Let the model edit CI config, hooks, `.assist.toml` and lockfiles (default: refused). */
  allowProtected?: boolean;
  /** In a workspace, test every package after the task, not only those its edits touched (`--all-tests`). */
  allTests?: boolean;
  model?: string | undefined;
  /** More config flags (`--log-file`, ...), by key. */
  flags?: Record<string, { value: ConfigValue; flag: string }>;
  ui?: SessionUI;
  /** One-line warnings for the person (config trust, a HEAD that could not be put back). */
  onWarning?: (text: string) => void;
  signal?: AbortSignal;
}

/** The `--json` object of `assist pr` (DESIGN.md §3). */
export interface PrReport {
  session: string | null;
  /** The branch made, or null when nothing was left behind. */
  branch: string | null;
  /** The target branch name, or the base commit when the base is not a branch. */
  base: string;
  base_commit: string;
  /** Commits on the branch beyond the base, oldest first (one after `--squash`). */
  commits: string[];
  files: string[];
  tests: 'passed' | 'failed' | 'not run';
  test_command: string | null;
  pushed: boolean;
  remote: string | null;
  squashed: boolean;
  refused: Array<{ file: string; reason: string }>;
  /** Edit blocks that never applied. */
  failed: number;
  usage: TurnResult['usage'];
  body_file: string | null;
  /** The project file the rules came from (`main:.assist.toml`), or null. */
  config: string | null;
  /** The review of the committed files: impact, breaking changes, risks (DESIGN §3 "Review"). */
  review: ReviewJson[];
}

/** How a run ended: a report to print, its exit code, and what to tell the person when not 0. */
export interface PrOutcome {
  report: PrReport;
  exitCode: number;
  body: string | null;
  problem: AssistError | null;
}

interface HeadSpot {
  ref: string | null;
  oid: string | null;
}

async function headSpot(git: GitRunner): Promise<HeadSpot> {
  const ref = await git(['symbolic-ref', '-q', 'HEAD']);
  const oid = await git(['rev-parse', '--verify', '--quiet', 'HEAD']);
  return { ref: ref.code === 0 ? ref.stdout.trim() : null, oid: oid.code === 0 ? oid.stdout.trim() : null };
}

async function switchTo(git: GitRunner, spot: HeadSpot): Promise<{ ok: boolean; error: string }> {
  const args = spot.ref?.startsWith('refs/heads/') ? ['switch', '-q', '--no-guess', spot.ref.slice('refs/heads/'.length)] : ['switch', '-q', '--detach', spot.oid ?? 'HEAD'];
  const r = await git(args);
  return { ok: r.code === 0, error: r.stderr.trim().split('\n')[0] ?? '' };
}

async function isSessionBranch(git: GitRunner, name: string): Promise<boolean> {
  return (await git(['config', '--get', `branch.${name}.assistSession`])).code === 0;
}

/** Tracked files with changes (staged or not): a PR holds the base plus the model's edits, nothing else. */
async function dirtyFiles(git: GitRunner): Promise<string[]> {
  await git(['update-index', '-q', '--refresh']);
  const r = await git(['diff-index', '--name-only', '-z', 'HEAD', '--']);
  return r.stdout.split('\0').filter(Boolean);
}

async function commitsSince(git: GitRunner, base: string, tip: string): Promise<Array<{ commit: string; summary: string }>> {
  const r = await git(['log', '--reverse', '--format=%H%x09%s', `${base}..${tip}`]);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const tab = line.indexOf('\t');
      return { commit: line.slice(0, tab), summary: line.slice(tab + 1) };
    });
}

/**
 * `assist pr` (issue 8): resolves the base, reads config and the test command from it, makes the
 * PR branch there, runs the task without prompts (protected files refused unless allowed), runs
 * the tests with bounded fixes, squashes when asked, writes the body, pushes when asked, and puts
 * HEAD back where it was. A run that commits nothing leaves no branch and no session behind.
 * Throws for what stops it before a branch exists; returns an outcome (with an exit code) after.
 */
export async function runPr(options: PrOptions): Promise<PrOutcome> {
  const { resolveRepoPaths } = await import('../git/index.js');
  const paths = await resolveRepoPaths(options.cwd, options.env);
  const root = paths.root;
  const remote = options.remote ?? 'origin';
  const gitEnv = options.allowRepoHooks ? { ...options.env } : withoutRepoHooks(options.env);
  // The session (model calls, tests) never sees the push token; the tests' runner also drops keys.
  const sessionEnv = withoutPushCredentials(gitEnv);
  const git = gitRunner(root, gitEnv);
  const status = (text: string): void => options.ui?.status?.(text);

  if (options.task.trim() === '') throw usageError('pr.empty-task', 'the task is empty', 'pass it with -m "TASK"');
  if (options.branch !== undefined) {
    const check = await git(['check-ref-format', '--branch', options.branch]);
    if (check.code !== 0 || options.branch.startsWith('-')) throw usageError('pr.bad-branch', `not a usable branch name: ${JSON.stringify(options.branch)}`);
    if ((await git(['rev-parse', '--verify', '--quiet', `refs/heads/${options.branch}`])).code === 0) {
      throw refusal('pr.branch-exists', `branch ${options.branch} already exists`, 'pick another --branch, or delete it first');
    }
  }
  if (options.push && (await git(['remote', 'get-url', '--', remote])).code !== 0) {
    throw usageError('pr.no-remote', `no remote named ${remote} to push to`, 'add it, or pass --remote NAME');
  }
  const dirty = await dirtyFiles(git);
  if (dirty.length > 0) {
    throw refusal('pr.dirty', `uncommitted changes in ${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ` and ${dirty.length - 5} more` : ''}`, 'a PR branch holds its base plus the task\'s edits only: commit or stash them first');
  }

  const base: PrBase = await resolveBase({ git, flag: options.base, env: options.env, remote });
  const baseLabel = base.name ?? base.commit.slice(0, 12);
  const flags: Record<string, { value: ConfigValue; flag: string }> = { ...(options.flags ?? {}) };
  if (options.model) flags.model = { value: options.model, flag: '--model' };
  const prConfig = await loadPrConfig({ env: sessionEnv, root, git, baseCommit: base.commit, baseLabel, flags });
  const config = prConfig.loaded.config;
  const warn = (text: string): void => options.onWarning?.(text);
  for (const warning of prConfig.warnings) warn(warning);
  if (prConfig.trustedBy === 'ci') warn(`trusting ${prConfig.projectFile ?? '.assist.toml'} from the base: running in CI, it is the repository's own reviewed file`);
  // Chosen before HEAD moves: no model is a usage error that leaves everything as it was.
  const { chooseModel, configModel, describeChoice } = await import('../llm/choose-model.js');
  const choice = await chooseModel({ flag: options.model, env: sessionEnv, config: configModel(prConfig.loaded) });
  const model = choice.model;
  status(describeChoice(choice));

  // From here HEAD moves: whatever happens, it goes back, and an empty session is removed.
  const original = await headSpot(git);
  let target: HeadSpot = { ref: null, oid: base.commit };
  if (base.ref?.startsWith('refs/heads/') && base.name && !(await isSessionBranch(git, base.name))) target = { ref: base.ref, oid: base.commit };
  const moved = !(original.ref === target.ref && original.oid === target.oid);
  if (moved) {
    const sw = await switchTo(git, target);
    if (!sw.ok) throw refusal('pr.switch-failed', `cannot check out the base ${baseLabel}: ${sw.error}`, 'move the untracked files in the way, or run from a clean checkout');
  }
  status(`base ${baseLabel} (${base.source}) at ${base.commit.slice(0, 12)}`);

  const { openStore, squashSessionBranch, dropEmptySession, commitMessage } = await import('../git/index.js');
  let sessionId: string | null = null;
  let branch: string | null = null;
  const restore = async (): Promise<void> => {
    const back = await switchTo(git, original);
    if (!back.ok) warn(`could not switch back to ${original.ref?.replace(/^refs\/heads\//, '') ?? original.oid?.slice(0, 12) ?? 'where you were'}: ${back.error}`);
  };
  const dropIfEmpty = async (): Promise<boolean> => {
    if (sessionId === null) {
      await restore();
      return true;
    }
    const tip = branch ? (await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`])).stdout.trim() : '';
    if (tip !== '' && tip !== base.commit) return false;
    await restore();
    const store = await openStore({ cwd: root, env: sessionEnv, command: 'assist pr' });
    try {
      await dropEmptySession(store, sessionId);
    } finally {
      store.close();
    }
    return true;
  };

  try {
    const { detectTestSetup } = await import('../session/test-command.js');
    const { isWorkspace, selectTests } = await import('../testing/index.js');
    // Detected now, while the work tree is exactly the base: the task cannot change it. In a
    // workspace the session picks the touched packages' commands from this setup after the task.
    const setup = config.test.cmd ? null : await detectTestSetup(root, sessionEnv);
    const workspace = setup !== null && isWorkspace(setup.workspace) ? setup : null;
    const testCommand = config.test.cmd ?? (workspace ? (selectTests(workspace.workspace, workspace.rootCommand, { all: true })?.command ?? null) : (setup?.rootCommand ?? null));
    if (testCommand !== null) {
      const { needsApproval } = await import('../sandbox/index.js');
      const unconfined = await needsApproval(config.sandbox.commands);
      if (unconfined !== null) {
        throw refusal('pr.tests-unsandboxed', `cannot run the tests (\`${testCommand}\`) in a sandbox: ${unconfined.reason}`, 'install bubblewrap and allow unprivileged user namespaces (see docs/ci.md); nothing was changed');
      }
    }
    const sessionConfig = { ...config, test: { ...config.test, cmd: workspace ? undefined : (testCommand ?? undefined), auto: testCommand !== null } };

    const store = await openStore({ cwd: root, env: sessionEnv, command: 'assist pr' });
    try {
      const slug = slugify(options.task);
      const started = await store.startSession({ branchName: (id) => options.branch ?? `assist/pr-${slug}-${id}` });
      sessionId = started.session.id;
      branch = started.session.branch;
    } finally {
      store.close();
    }
    status(`session ${sessionId} on branch ${branch ?? ''}`);

    const { createSession } = await import('../session/index.js');
    const session = await createSession({
      cwd: root,
      env: sessionEnv,
      config: sessionConfig,
      model,
      yes: true,
      interactive: false,
      mode: 'pr',
      allowProtected: options.allowProtected ?? false,
      autoTest: testCommand !== null,
      ...(workspace ? { testSetup: workspace, testAll: options.allTests === true } : {}),
      ...(options.ui ? { ui: options.ui } : {}),
      command: 'assist pr',
    });
    let result: TurnResult;
    try {
      result = await session.ask(options.task, options.signal);
    } finally {
      session.close();
    }

    const report: PrReport = {
      session: sessionId,
      branch,
      base: base.name ?? base.commit,
      base_commit: base.commit,
      commits: [...result.commits],
      files: [...result.files],
      tests: result.tests?.status ?? 'not run',
      test_command: result.tests?.command ?? testCommand,
      pushed: false,
      remote: options.push ? remote : null,
      squashed: false,
      refused: result.refused,
      failed: result.failed,
      usage: result.usage,
      body_file: null,
      config: prConfig.projectFile,
      review: [],
    };
    const { mergeReviews, reviewJson } = await import('../review/index.js');
    // What the branch holds: files that were reviewed but refused are not in it.
    const reviewed = mergeReviews(result.review ?? []).filter((f) => result.files.includes(f.file));
    report.review = reviewJson(reviewed);

    if (result.commits.length === 0) {
      await dropIfEmpty();
      report.branch = null;
      if (result.refused.length > 0) {
        const problem = refusal('pr.refused', `nothing committed: every edit was refused (${result.refused.map((r) => `${r.file}: ${r.reason}`).join('; ')})`, 'protected files (CI config, hooks, .assist.toml, lockfiles) need --allow-protected');
        return { report, exitCode: ExitCode.refused, body: null, problem };
      }
      if (result.failed > 0) {
        const problem = new AssistError('edits.failed', `the model's edits did not apply after ${config.session.maxReflections} tries`, { hint: 'rephrase the task, or name the files it should change' });
        return { report, exitCode: ExitCode.failure, body: null, problem };
      }
      const problem = new AssistError('pr.no-change', 'the model proposed no change: no branch was made', { exitCode: ExitCode.nothingToDo });
      return { report, exitCode: ExitCode.nothingToDo, body: null, problem };
    }

    const tip = (await git(['rev-parse', '--verify', 'HEAD'])).stdout.trim();
    const commits = await commitsSince(git, base.commit, tip);
    const files = (await git(['diff', '--name-only', '-z', base.commit, tip, '--'])).stdout.split('\0').filter(Boolean);
    report.files = files;
    report.commits = commits.map((c) => c.commit);
    let squashedInto: string | null = null;
    if (options.squash) {
      const drafted = await draftSquashMessage(config, sessionEnv, options.task, git, base.commit, tip);
      const { commitSummary, accumulateUsage } = await import('../session/index.js');
      if (drafted) accumulateUsage(report.usage, drafted.usage, drafted.cost);
      const summary = drafted?.summary ?? commitSummary(options.task, files);
      const body = drafted?.body ? `${drafted.body}\n\n${squashBody(commits, files)}` : squashBody(commits, files);
      const message = commitMessage(summary, body, { session: sessionId ?? '', event: 'squash', model });
      const store = await openStore({ cwd: root, env: sessionEnv, command: 'assist pr' });
      try {
        squashedInto = (await squashSessionBranch(store, { message, runHooks: options.allowRepoHooks ?? false })).commit;
      } finally {
        store.close();
      }
      if (squashedInto) {
        report.commits = [squashedInto];
        report.squashed = true;
        status(`squashed ${commits.length} commit${commits.length === 1 ? '' : 's'} into ${squashedInto.slice(0, 12)}`);
      }
    }

    const { secretsFromEnv } = await import('../sandbox/index.js');
    const replyText = await firstReply(openStore, root, sessionEnv, sessionId ?? '', result.reply);
    const body = renderBody({
      task: options.task,
      reply: replyText,
      base: base.name ?? base.commit.slice(0, 12),
      branch: branch ?? '',
      commits,
      squashedInto,
      files,
      refused: result.refused,
      review: reviewed,
      tests: { status: report.tests, command: report.test_command, output: result.tests?.output },
      usage: result.usage,
      model,
      session: sessionId ?? '',
      secrets: secretsFromEnv(options.env),
    });
    if (options.bodyFile) {
      const file = resolve(options.cwd, options.bodyFile);
      await writeFile(file, body);
      report.body_file = file;
    }

    let problem: AssistError | null = null;
    let exitCode: number = ExitCode.ok;
    if (report.tests === 'failed') {
      problem = new AssistError('pr.tests-failed', `the tests (\`${report.test_command ?? ''}\`) still fail after the model's fixes`, { hint: `the branch ${branch ?? ''} is kept${options.push ? ' and pushed' : ''}; the body says what failed` });
      exitCode = ExitCode.failure;
    }
    // Pushed only now: after the tests, from a process whose environment the tests never shared.
    if (options.push && branch) {
      const pushed = await pushBranch({ git, remote, branch, noVerify: !options.allowRepoHooks, env: options.env });
      report.pushed = pushed.ok;
      if (pushed.ok) status(`pushed ${branch} to ${remote}`);
      else {
        problem = new AssistError('pr.push-failed', `pushing ${branch} to ${remote} failed: ${pushed.summary}`, {
          hint: 'the remote is unchanged (one ref, updated atomically or not at all); the branch is kept here: push it yourself, or rerun with another --branch',
        });
        exitCode = ExitCode.failure;
      }
    }
    await restore();
    return { report, exitCode, body, problem };
  } catch (error) {
    // A model failure or an interrupt: nothing is pushed; an empty session leaves no trace.
    try {
      if (!(await dropIfEmpty())) await restore();
    } catch (cleanup) {
      warn(`cleaning up after the failure: ${(cleanup as Error).message}`);
    }
    throw error;
  }
}

async function firstReply(
  openStore: typeof OpenStore,
  root: string,
  env: NodeJS.ProcessEnv,
  sessionId: string,
  fallback: string,
): Promise<string> {
  const store = await openStore({ cwd: root, env, command: 'assist pr' });
  try {
    const events = await store.replay(sessionId);
    const reply = events.find((e) => e.type === 'reply' && !e.reverted);
    return reply && reply.type === 'reply' ? reply.text : fallback;
  } catch {
    return fallback;
  } finally {
    store.close();
  }
}

/**
 * With `weak_model` set, the squash commit's message comes from the weak model, shown the task
 * and the branch's whole diff; null without one, or when it fails (the task's summary then).
 */
async function draftSquashMessage(
  config: Config,
  env: NodeJS.ProcessEnv,
  task: string,
  git: GitRunner,
  base: string,
  tip: string,
): Promise<{ summary: string; body: string; usage: Usage; cost: number | undefined } | null> {
  if (!config.weakModel) return null;
  const diff = await git(['diff', '--no-color', '--no-ext-diff', base, tip, '--']);
  if (diff.code !== 0) return null;
  const [{ createLlmClientFromConfig, costOf }, { draftCommitMessage, COMMIT_MESSAGE_TIMEOUT_MS }] = await Promise.all([import('../llm/index.js'), import('../session/index.js')]);
  const client = createLlmClientFromConfig(config, env);
  const drafted = await draftCommitMessage(client, config.weakModel, task, diff.stdout, AbortSignal.timeout(COMMIT_MESSAGE_TIMEOUT_MS));
  return drafted ? { summary: drafted.summary, body: drafted.body, usage: drafted.usage, cost: costOf(drafted.usage, client.modelInfo(drafted.model)) } : null;
}
