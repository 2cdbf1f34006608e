import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { cliPath, projectRoot } from '../helpers/run-cli.js';

const HEAVY = ['@anthropic-ai/sdk', 'openai', 'ollama', 'web-tree-sitter', 'isomorphic-git', 'js-tiktoken', 'gpt-tokenizer', 'simple-git'];

function loadedModules(args: string[]): string[] {
  const repo = tempRepo();
  try {
    const trace = join(repo.home, 'trace.txt');
    const r = spawnSync(process.execPath, ['--import', join(projectRoot, 'test', 'helpers', 'trace-imports.mjs'), cliPath, ...args], {
      cwd: repo.dir,
      env: { ...repo.env, TRACE_IMPORTS_FILE: trace },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    return readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  } finally {
    repo.cleanup();
  }
}

describe('heavy modules load lazily', () => {
  it.each([['--version'], ['--help'], ['config', 'list']])('`assist %s` loads no SDK, tree-sitter or tokenizer', (...args) => {
    const modules = loadedModules(args);
    expect(modules.length).toBeGreaterThan(0);
    for (const heavy of HEAVY) expect(modules.filter((m) => m.includes(`/node_modules/${heavy}/`))).toEqual([]);
  });

  it('the trace does see a heavy module when one is loaded (the check can fail)', () => {
    const modules = loadedModules(['doctor']);
    expect(modules.some((m) => m.includes('/node_modules/web-tree-sitter/'))).toBe(true);
  });
});
