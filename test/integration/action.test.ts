import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { projectRoot } from '../helpers/run-cli.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';
import { requireTool } from '../helpers/system-tools.js';

// The action runs `assist pr` with a test command, which runs only inside bubblewrap.
const bwrap = await requireTool('bwrap');

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  if?: string;
}

interface Action {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parse(readFileSync(join(projectRoot, 'action.yml'), 'utf8')) as Action;

/** `KEY=value` lines and `KEY<<DELIM` blocks, as GitHub reads GITHUB_OUTPUT and GITHUB_ENV. */
function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i] ?? '');
      out[heredoc[1]!] = value.join('\n');
    } else if (line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return out;
}

/** The runner's own expansion of `${{ ... }}` in `env:` values: the contexts this action uses. */
function expand(value: string, ctx: { inputs: Record<string, string>; steps: Record<string, Record<string, string>>; actionPath: string }): string {
  return value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
    const parts = expr.split('.');
    if (parts[0] === 'inputs') return ctx.inputs[parts[1] ?? ''] ?? '';
    if (expr === 'github.action_path') return ctx.actionPath;
    if (parts[0] === 'steps' && parts[2] === 'outputs') return ctx.steps[parts[1] ?? '']?.[parts[3] ?? ''] ?? '';
    throw new Error(`expression not handled by the test runner: ${expr}`);
  });
}

function bash(script: string, options: { cwd: string; env: NodeJS.ProcessEnv; dir: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(options.dir, `step-${Math.random().toString(16).slice(2)}.sh`);
  writeFileSync(file, script);
  return new Promise((resolve, reject) => {
    // What GitHub runs for `shell: bash`.
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * Runs the action's `run:` steps in order the way the runner does (env from `env:` with the
 * expressions expanded, GITHUB_ENV and GITHUB_OUTPUT files), except setup-node (`uses:`) and the
 * step that calls GitHub (`gh`).
 */
async function runAction(inputs: Record<string, string>, cwd: string, baseEnv: NodeJS.ProcessEnv): Promise<{ steps: Record<string, Record<string, string>>; codes: number[]; logs: string; temp: string }> {
  const temp = mkdtempSync(join(tmpdir(), 'assist-action-'));
  const withDefaults: Record<string, string> = {};
  for (const [name, def] of Object.entries(action.inputs)) withDefaults[name] = inputs[name] ?? def.default ?? '';
  const ctx = { inputs: withDefaults, steps: {} as Record<string, Record<string, string>>, actionPath: projectRoot };
  let jobEnv: NodeJS.ProcessEnv = { ...baseEnv, RUNNER_TEMP: temp, GITHUB_WORKSPACE: cwd, GITHUB_ACTION_PATH: projectRoot };
  const codes: number[] = [];
  let logs = '';
  for (const step of action.runs.steps) {
    if (step.uses || !step.run || step.run.includes('gh pr create')) continue;
    const outputFile = join(temp, `output-${codes.length}`);
    const envFile = join(temp, `env-${codes.length}`);
    writeFileSync(outputFile, '');
    writeFileSync(envFile, '');
    const stepEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.env ?? {})) stepEnv[k] = expand(String(v), ctx);
    const r = await bash(step.run, { cwd, dir: temp, env: { ...jobEnv, ...stepEnv, GITHUB_OUTPUT: outputFile, GITHUB_ENV: envFile } });
    logs += `--- ${step.name ?? ''} (${r.code})\n${r.stdout}${r.stderr}`;
    codes.push(r.code);
    if (step.id) ctx.steps[step.id] = parseCommandFile(readFileSync(outputFile, 'utf8'));
    jobEnv = { ...jobEnv, ...parseCommandFile(readFileSync(envFile, 'utf8')) };
    if (r.code !== 0) break;
  }
  return { steps: ctx.steps, codes, logs, temp };
}

function setup(): { repo: TempRepo; remote: TempRepo } {
  const remote = tempRepo({ bare: true });
  const repo = tempRepo({ files: { 'a.txt': 'one\n' } });
  repo.git('remote', 'add', 'origin', remote.dir);
  repo.git('push', '-q', 'origin', 'main');
  repo.git('fetch', '-q', 'origin');
  return { repo, remote };
}

const HOSTILE_TASK = [
  'Change one to two $(touch pwned-subst) `touch pwned-backtick`',
  `"; touch pwned-dq; echo " '; touch pwned-sq; echo '`,
  'a; touch pwned-semi && touch pwned-and | touch pwned-pipe',
  '$HOME ${PATH} ${{ github.token }} \\ %0A',
  'EOF',
  'SCRIPT',
  'branch=evil',
].join('\n');

describe('action.yml', () => {
  it('has what GitHub requires of a composite action', () => {
    expect(action.name).toBeTruthy();
    expect(action.description).toBeTruthy();
    for (const name of ['task', 'model', 'base', 'branch', 'test-command', 'squash']) expect(action.inputs[name]?.description, name).toBeTruthy();
    expect(action.inputs.task?.required).toBe(true);
    for (const name of ['branch', 'commits', 'tests']) expect(action.outputs[name]?.value, name).toMatch(/\$\{\{ steps\.pr\.outputs\.\w+ \}\}/);
    expect(action.runs.using).toBe('composite');
    for (const step of action.runs.steps) {
      if (step.run !== undefined) expect(step.shell, step.name).toBe('bash');
      else expect(step.uses, step.name).toBeTruthy();
    }
    expect(action.runs.steps.some((s) => s.uses?.startsWith('actions/setup-node@'))).toBe(true);
    expect(action.runs.steps.some((s) => s.run?.includes('gh pr create') && s.run.includes('--body-file'))).toBe(true);
  });

  it('never puts an expression inside a run: script: inputs arrive only through env:', () => {
    for (const step of action.runs.steps) {
      if (step.run !== undefined) expect(step.run, step.name).not.toContain('${{');
    }
    const task = action.runs.steps.find((s) => s.id === 'pr');
    expect(task?.env?.TASK).toBe('${{ inputs.task }}');
    expect(task?.run).toContain('"--message=$TASK"');
  });

  it('its shell steps turn a hostile task into a pushed branch and execute none of it', bwrap.options, async () => {
    await using server = await startFakeLlm();
    const { repo, remote } = setup();
    let temp = '';
    try {
      server.enqueue(reply.edits([{ path: 'a.txt', search: 'one\n', replace: 'two\n' }], { before: 'Done.' }));
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0', CI: 'true' };
      const run = await runAction({ task: HOSTILE_TASK, 'test-command': 'grep -q two a.txt', squash: 'true' }, repo.dir, env);
      temp = run.temp;
      expect(run.codes.every((c) => c === 0), run.logs).toBe(true);
      const pr = run.steps.pr!;
      expect(pr.status, run.logs).toBe('0');
      expect(pr.branch).toMatch(/^assist\/pr-change-one-to-two-/);
      expect(pr.tests).toBe('passed');
      expect(pr.pushed).toBe('true');
      expect(pr.commits?.split(' ')).toHaveLength(1);
      expect(pr.title).toBe('Change one to two $(touch pwned-subst) `touch pwned-backtick`');
      expect(readFileSync(pr.body!, 'utf8')).toContain('touch pwned-semi');
      expect(remote.git('rev-parse', `refs/heads/${pr.branch!}`)).toBe(pr.commits);

      // The task reached the model byte for byte, and nothing in it ran anywhere.
      expect(JSON.stringify(server.requests[0]?.body)).toContain(JSON.stringify(HOSTILE_TASK).slice(1, -1));
      for (const dir of [repo.dir, repo.home, temp, projectRoot]) {
        expect(readdirSync(dir).filter((f) => f.startsWith('pwned')), dir).toEqual([]);
      }
    } finally {
      repo.cleanup();
      remote.cleanup();
      if (temp) rmSync(temp, { recursive: true, force: true });
    }
  });

  it('a task that changes nothing: outputs say so, no branch, and the job does not fail', async () => {
    await using server = await startFakeLlm();
    const { repo, remote } = setup();
    let temp = '';
    try {
      server.enqueue(reply.text('Nothing needs changing.'));
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0', CI: 'true' };
      const run = await runAction({ task: 'nothing' }, repo.dir, env);
      temp = run.temp;
      expect(run.codes.every((c) => c === 0), run.logs).toBe(true);
      expect(run.steps.pr?.status).toBe('5');
      expect(run.steps.pr?.branch).toBe('');
      expect(run.steps.pr?.pushed).toBe('false');
      expect(remote.git('for-each-ref', '--format=%(refname)', 'refs/heads/')).toBe('refs/heads/main');
      expect(existsSync(join(repo.dir, '.git', 'refs', 'heads', 'assist'))).toBe(false);
    } finally {
      repo.cleanup();
      remote.cleanup();
      if (temp) rmSync(temp, { recursive: true, force: true });
    }
  });
});
