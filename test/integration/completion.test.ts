// The completion scripts `assist completion` prints, loaded in the real shells and driven the way
// the shells drive them (bash: COMP_WORDS/COMP_CWORD and the completion function; fish: `complete
// -C`; zsh: the completion function with its builtins replaced by printers, since zsh's completion
// system only runs inside an interactive line editor).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';

function has(shell: string): boolean {
  return spawnSync(shell, ['-c', 'exit 0']).status === 0;
}

async function script(repo: TempRepo, shell: string): Promise<string> {
  const r = await runCli(['completion', shell], { cwd: repo.dir, env: repo.env });
  expect(r.code, r.stderr).toBe(0);
  const file = join(repo.home, `assist.${shell}`);
  writeFileSync(file, r.stdout);
  return file;
}

/** A repository with two sessions and a checkpoint, as refs (what the scripts read with git). */
function repoWithSessions(): TempRepo {
  const repo = tempRepo({ files: { 'src/app.ts': 'export const a = 1;\n', 'src/api client.ts': 'export const b = 2;\n' } });
  const head = repo.git('rev-parse', 'HEAD');
  for (const id of ['20260101-120000-aaaa', '20260102-090000-bbbb']) repo.git('update-ref', `refs/assist/log/${id}`, head);
  repo.git('update-ref', 'refs/assist/checkpoints/20260102-090000-bbbb/before-refactor', head);
  return repo;
}

function bashComplete(file: string, repo: TempRepo, words: string[]): string[] {
  const program = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=\${#COMP_LINE}; _assist; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program, 'bash', file, ...words], { cwd: repo.dir, env: repo.env, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

describe('assist completion bash, in a real bash', () => {
  it('completes `assist con` to `config`', async () => {
    using repo = disposable(tempRepo());
    const file = await script(repo, 'bash');
    expect(bashComplete(file, repo, ['assist', 'con'])).toEqual(['config']);
  });

  it('completes commands, subcommands and each command own flags', async () => {
    using repo = disposable(tempRepo());
    const file = await script(repo, 'bash');
    const top = bashComplete(file, repo, ['assist', '']);
    for (const command of ['chat', 'run', 'undo', 'redo', 'checkpoint', 'session', 'log', 'map', 'hooks', 'summaries', 'pr', 'config', 'completion', 'trust', 'doctor']) expect(top).toContain(command);
    expect(top).not.toContain('hook'); // started by the git hooks, not typed
    expect(bashComplete(file, repo, ['assist', 'config', ''])).toEqual(['get', 'set', 'list', 'schema']);
    expect(bashComplete(file, repo, ['assist', 'undo', '--f'])).toEqual(['--force']);
    expect(bashComplete(file, repo, ['assist', 'map', '--'])).toEqual(expect.arrayContaining(['--tokens', '--focus', '--json', '--verbose', '--no-color']));
    // A global flag and its value before the command do not hide the command.
    expect(bashComplete(file, repo, ['assist', '--log-file', 'x.log', 'config', 's'])).toEqual(['set', 'schema']);
    expect(bashComplete(file, repo, ['assist', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });

  it('completes config keys from the key table, and the values of those with few', async () => {
    using repo = disposable(tempRepo());
    const file = await script(repo, 'bash');
    expect(bashComplete(file, repo, ['assist', 'config', 'get', 'context.ma'])).toEqual(['context.map_tokens', 'context.max_file_bytes']);
    expect(bashComplete(file, repo, ['assist', 'config', 'set', 'llm.o'])).toEqual(expect.arrayContaining(['llm.openai.base_url', 'llm.ollama.timeout_s']));
    expect(bashComplete(file, repo, ['assist', 'config', 'set', 'session.tools', ''])).toEqual(['auto', 'off']);
    expect(bashComplete(file, repo, ['assist', 'config', 'set', '--global', 'git.session_branch', ''])).toEqual(['true', 'false']);
    expect(bashComplete(file, repo, ['assist', 'config', 'set', 'model', 'openai/gpt-4.1-'])).toEqual(['openai/gpt-4.1-mini', 'openai/gpt-4.1-nano']);
    expect(bashComplete(file, repo, ['assist', 'run', '--model', 'google/gemini-2.5-fl'])).toEqual(['google/gemini-2.5-flash', 'google/gemini-2.5-flash-lite']);
  });

  it('completes session ids and checkpoints from git, and files where a command takes files', async () => {
    using repo = disposable(repoWithSessions());
    const file = await script(repo, 'bash');
    expect(bashComplete(file, repo, ['assist', 'log', ''])).toEqual(['20260102-090000-bbbb', '20260101-120000-aaaa']);
    expect(bashComplete(file, repo, ['assist', 'session', 'show', '202601'])).toEqual(['20260102-090000-bbbb', '20260101-120000-aaaa']);
    expect(bashComplete(file, repo, ['assist', 'log', '--json', '20260101'])).toEqual(['20260101-120000-aaaa']);
    expect(bashComplete(file, repo, ['assist', 'checkpoint', 'restore', ''])).toEqual(['before-refactor']);
    expect(bashComplete(file, repo, ['assist', 'chat', 'src/a']).sort()).toEqual(['src/api client.ts', 'src/app.ts']);
    expect(bashComplete(file, repo, ['assist', 'map', '--focus', 'src/app'])).toEqual(['src/app.ts']);
  });
});

describe.skipIf(!has('fish'))('assist completion fish, in a real fish', () => {
  it('completes commands, config keys, values and sessions', async () => {
    using repo = disposable(repoWithSessions());
    const file = await script(repo, 'fish');
    const complete = (line: string): string[] => {
      const r = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, line], { cwd: repo.dir, env: repo.env, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0] as string);
    };
    expect(complete('assist con')).toEqual(['config']);
    expect(complete('assist config get context.ma')).toEqual(['context.map_tokens', 'context.max_file_bytes']);
    expect(complete('assist config set session.tools ')).toEqual(['auto', 'off']);
    expect(complete('assist session show ')).toEqual(['20260101-120000-aaaa', '20260102-090000-bbbb']);
    expect(complete('assist undo --f')).toEqual(['--force']);
  });
});

describe.skipIf(!has('zsh'))('assist completion zsh, in a real zsh', () => {
  it('registers with compdef and offers the same candidates', async () => {
    using repo = disposable(repoWithSessions());
    const file = await script(repo, 'zsh');
    // _describe/compadd/_files filter by the typed prefix themselves; these print every candidate.
    const program = [
      'autoload -Uz compinit && compinit -u -D',
      'source $1',
      'print -r -- "registered: $_comps[assist]"',
      '_describe() { local a=${@[-1]}; print -rl -- "${(@P)a}" }',
      'compadd() { local i=${@[(i)--]}; print -rl -- "${@[i+1,-1]}" }',
      '_files() { print -r -- "<files>" }',
      'shift; words=("$@"); CURRENT=${#words}; _assist',
    ].join('\n');
    const complete = (words: string[]): string[] => {
      const r = spawnSync('zsh', ['-f', '-c', program, 'zsh', file, ...words], { cwd: repo.dir, env: { ...repo.env, HOME: repo.home }, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').filter(Boolean);
    };
    const top = complete(['assist', 'con']);
    expect(top[0]).toBe('registered: _assist');
    expect(top).toContain('config:config commands');
    expect(complete(['assist', 'config', 'set', 'context.strategy', ''])).toEqual(['registered: _assist', 'summary', 'chunks', 'hybrid']);
    expect(complete(['assist', 'log', ''])).toEqual(['registered: _assist', '20260102-090000-bbbb', '20260101-120000-aaaa']);
    expect(complete(['assist', 'summaries', 'show', ''])).toEqual(['registered: _assist', '<files>']);
  });
});

function disposable<T extends { cleanup(): void }>(value: T): T & Disposable {
  return Object.assign(value, { [Symbol.dispose]: () => value.cleanup() });
}
