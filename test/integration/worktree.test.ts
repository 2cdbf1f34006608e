import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';

interface RunJson {
  session: string;
  branch: string;
  commits: string[];
  files: string[];
  worktree: string;
}

interface ListJson {
  id: string;
  branch: string | null;
  commits: number;
  finished: string | null;
  worktree?: { path: string; exists: boolean; dirty: string[] };
}

const files = {
  'src/a.ts': 'export const a = 1;\n',
  'src/b.ts': 'export const b = 1;\n',
  'notes.md': '# notes\n',
};

describe('worktree sessions (--worktree)', () => {
  it('two runs at the same moment work in their own worktrees; the dirty file of the person stays; finish lands both', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files });
    // The person's own uncommitted work, in a file both sessions also edit on their branches.
    writeFileSync(join(repo.dir, 'notes.md'), '# notes\nmy draft, not committed\n');
    server.enqueue(
      reply.edits([{ path: 'src/a.ts', search: 'export const a = 1;\n', replace: 'export const a = 2;\n' }]),
      reply.edits([{ path: 'src/b.ts', search: 'export const b = 1;\n', replace: 'export const b = 2;\n' }]),
    );
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const headBefore = repo.git('rev-parse', 'HEAD');
    const [one, two] = await Promise.all([
      runCli(['run', '--worktree', '--yes', '--json', '-m', 'bump a constant'], { cwd: repo.dir, env }),
      runCli(['run', '--worktree', '--yes', '--json', '-m', 'bump a constant'], { cwd: repo.dir, env }),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    const runs = [JSON.parse(one.stdout) as RunJson, JSON.parse(two.stdout) as RunJson];
    expect(runs[0]!.session).not.toBe(runs[1]!.session);
    expect(runs.flatMap((r) => r.files).sort()).toEqual(['src/a.ts', 'src/b.ts']);
    const common = repo.git('rev-parse', '--path-format=absolute', '--git-common-dir');
    for (const r of runs) {
      expect(r.branch).toBe(`assist/${r.session}`);
      expect(r.worktree).toBe(join(common, 'assist', 'worktrees', r.session));
      expect(r.commits).toHaveLength(1);
      // Committed on its own branch, checked out in its worktree.
      expect(repo.git('rev-parse', r.branch)).toBe(r.commits[0]);
      expect(repo.git('-C', r.worktree, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe(r.branch);
      expect(repo.git('-C', r.worktree, 'status', '--porcelain')).toBe('');
    }
    // The person's work tree: same branch, same commit, same dirty file, nothing else changed.
    expect(repo.git('rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
    expect(repo.git('rev-parse', 'HEAD')).toBe(headBefore);
    expect(readFileSync(join(repo.dir, 'notes.md'), 'utf8')).toBe('# notes\nmy draft, not committed\n');
    expect(repo.git('status', '--porcelain')).toBe(' M notes.md');

    const listed = await runCli(['session', 'list', '--json'], { cwd: repo.dir, env });
    expect(listed.code, listed.stderr).toBe(0);
    const list = JSON.parse(listed.stdout) as ListJson[];
    for (const r of runs) {
      const s = list.find((l) => l.id === r.session)!;
      expect(s.commits).toBe(1);
      expect(s.worktree).toEqual({ path: r.worktree, exists: true, dirty: [] });
    }
    const text = await runCli(['session', 'list'], { cwd: repo.dir, env });
    expect(text.stdout).toContain(`worktree ${runs[0]!.worktree} clean`);

    // Finish both from inside their worktrees: the second lands onto the base the first moved.
    for (const r of runs) {
      const fin = await runCli(['session', 'finish'], { cwd: r.worktree, env });
      expect(fin.code, fin.stderr).toBe(0);
      expect(fin.stdout).toContain(`Removed the worktree ${r.worktree}`);
      expect(existsSync(r.worktree)).toBe(false);
      expect(repo.git('branch', '--list', r.branch)).toBe('');
    }
    expect(repo.git('rev-list', '--count', `${headBefore}..main`)).toBe('2');
    expect(repo.git('show', 'main:src/a.ts')).toBe('export const a = 2;');
    expect(repo.git('show', 'main:src/b.ts')).toBe('export const b = 2;');
    // The person's work tree followed main (both files), and their draft is still theirs, uncommitted.
    expect(readFileSync(join(repo.dir, 'src/a.ts'), 'utf8')).toBe('export const a = 2;\n');
    expect(readFileSync(join(repo.dir, 'src/b.ts'), 'utf8')).toBe('export const b = 2;\n');
    expect(repo.git('status', '--porcelain')).toBe(' M notes.md');
    expect(repo.git('worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
  });

  it('finish refuses to remove a worktree with uncommitted work, naming the file; committing it lands it too', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files });
    server.enqueue(reply.edits([{ path: 'src/a.ts', search: 'export const a = 1;\n', replace: 'export const a = 2;\n' }]));
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const r = await runCli(['run', '--worktree=feature', '--yes', '--json', '-m', 'bump a'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as RunJson;
    expect(out.worktree.endsWith(join('assist', 'worktrees', 'feature'))).toBe(true);
    writeFileSync(join(out.worktree, 'todo.txt'), 'work of mine\n');
    writeFileSync(join(out.worktree, 'src/b.ts'), 'export const b = 3;\n');

    for (const mode of [[], ['--discard'], ['--keep']]) {
      const fin = await runCli(['session', 'finish', ...mode], { cwd: out.worktree, env });
      expect(fin.code).toBe(3);
      expect(fin.stderr).toContain('src/b.ts');
      expect(fin.stderr).toContain('todo.txt');
    }
    // Nothing moved: the worktree, its files, the branch and main are as they were.
    expect(readFileSync(join(out.worktree, 'todo.txt'), 'utf8')).toBe('work of mine\n');
    expect(repo.git('rev-parse', out.branch)).toBe(out.commits[0]);
    expect(repo.git('show', 'main:src/a.ts')).toBe('export const a = 1;');
    const list = JSON.parse((await runCli(['session', 'list', '--json'], { cwd: repo.dir, env })).stdout) as ListJson[];
    expect(list[0]!.worktree?.dirty.sort()).toEqual(['src/b.ts', 'todo.txt']);

    // The person commits their work in the worktree: finish carries it along and lands everything.
    repo.git('-C', out.worktree, 'add', '-A');
    repo.git('-C', out.worktree, 'commit', '-q', '-m', 'my own change');
    const fin = await runCli(['session', 'finish'], { cwd: out.worktree, env });
    expect(fin.code, fin.stderr).toBe(0);
    expect(existsSync(out.worktree)).toBe(false);
    expect(repo.git('show', 'main:src/a.ts')).toBe('export const a = 2;');
    expect(repo.git('show', 'main:src/b.ts')).toBe('export const b = 3;');
    expect(repo.git('show', 'main:todo.txt')).toBe('work of mine');
  });

  it('--keep removes the clean worktree but keeps the branch and its commits', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files });
    server.enqueue(reply.edits([{ path: 'src/a.ts', search: 'export const a = 1;\n', replace: 'export const a = 2;\n' }]));
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const out = JSON.parse((await runCli(['run', '--worktree', '--yes', '--json', '-m', 'bump a'], { cwd: repo.dir, env })).stdout) as RunJson;
    const fin = await runCli(['session', 'finish', '--keep'], { cwd: out.worktree, env });
    expect(fin.code, fin.stderr).toBe(0);
    expect(existsSync(out.worktree)).toBe(false);
    expect(repo.git('rev-parse', out.branch)).toBe(out.commits[0]);
    expect(repo.git('show', 'main:src/a.ts')).toBe('export const a = 1;');
    // The kept branch can be checked out in the person's work tree now that no worktree holds it.
    expect(repo.git('worktree', 'list', '--porcelain')).not.toContain(out.branch);
  });

  it('finish refuses when the person has uncommitted changes in a file it lands, and changes nothing', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files });
    server.enqueue(reply.edits([{ path: 'src/a.ts', search: 'export const a = 1;\n', replace: 'export const a = 2;\n' }]));
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const out = JSON.parse((await runCli(['run', '--worktree', '--yes', '--json', '-m', 'bump a'], { cwd: repo.dir, env })).stdout) as RunJson;
    const main = repo.git('rev-parse', 'main');
    writeFileSync(join(repo.dir, 'src/a.ts'), 'export const a = 99; // mine\n');
    const fin = await runCli(['session', 'finish'], { cwd: out.worktree, env });
    expect(fin.code).toBe(3);
    expect(fin.stderr).toContain('src/a.ts');
    expect(readFileSync(join(repo.dir, 'src/a.ts'), 'utf8')).toBe('export const a = 99; // mine\n');
    expect(repo.git('rev-parse', 'main')).toBe(main);
    expect(existsSync(out.worktree)).toBe(true);
    expect(repo.git('rev-parse', out.branch)).toBe(out.commits[0]);
  });

  it('--worktree with --no-branch is a usage error before any request', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files });
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
    const r = await runCli(['run', '--worktree', '--no-branch', '--yes', '-m', 'x'], { cwd: repo.dir, env });
    expect(r.code).toBe(2);
    expect(server.requests).toHaveLength(0);
  });
});
