import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { runCli } from '../../test/helpers/run-cli.js';

describe('assist hooks install | status | uninstall, and assist hook, through the built CLI', () => {
  it('installs, reports, refreshes silently and uninstalls', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'export const a = 1;\n' } });
    const opts = { cwd: repo.dir, env: repo.env };

    const install = await runCli(['hooks', 'install'], opts);
    expect(install.code).toBe(0);
    expect(install.stderr).toBe('');
    expect(install.stdout).toMatch(/^post-commit\s+created\s+\S+\/\.git\/hooks\/post-commit$/m);
    expect(install.stdout).toMatch(/^post-rewrite\s+created/m);

    // The refresher, by hand: never a word, exit 0, and it did its work.
    const hook = await runCli(['hook', 'post-commit'], opts);
    expect(hook).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(JSON.parse(readFileSync(join(repo.dir, '.git', 'assist', 'refresh-last.json'), 'utf8'))).toMatchObject({ hook: 'post-commit', changed: 1, failed: [] });
    // The tags refresher (a default map build until src/context exports a dedicated refresh) cached a.ts's blob.
    const blob = repo.git('rev-parse', 'HEAD:a.ts');
    const tagsDir = join(repo.dir, '.git', 'assist', 'tags');
    expect(readdirSync(tagsDir).some((f) => readFileSync(join(tagsDir, f), 'utf8').includes(blob))).toBe(true);

    const status = await runCli(['hooks', 'status'], opts);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^post-merge\s+installed$/m);
    expect(status.stdout).toContain(`runs: ${process.execPath} `);
    expect(status.stdout).toMatch(/^refresher: idle/m);
    expect(status.stdout).toMatch(/^last run: .* after post-commit, 1 changed$/m);

    const uninstall = await runCli(['hooks', 'uninstall'], opts);
    expect(uninstall.code).toBe(0);
    expect(uninstall.stdout).toMatch(/^post-checkout\s+file deleted/m);
    expect(existsSync(join(repo.dir, '.git', 'hooks', 'post-checkout'))).toBe(false);
  });

  it('prints the line to add when core.hooksPath is set, and status says so', async () => {
    await using repo = tempRepo({ files: { 'a.ts': 'a\n' } });
    repo.git('config', 'core.hooksPath', '.husky/_');
    const opts = { cwd: repo.dir, env: repo.env };
    const install = await runCli(['hooks', 'install'], opts);
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('core.hooksPath is set (local, file:.git/config): git runs hooks from');
    expect(install.stdout).toContain(`${join(repo.dir, '.husky', 'post-commit')}:`);
    expect(install.stdout).toContain(`    if [ -f '${join(repo.dir, '.git', 'assist', 'hook.sh')}' ]; then sh '${join(repo.dir, '.git', 'assist', 'hook.sh')}' post-commit; fi  # assist`);
    expect(existsSync(join(repo.dir, '.husky'))).toBe(false);
    const status = await runCli(['hooks', 'status'], opts);
    expect(status.stdout).toContain('core.hooksPath = .husky/_ (local, file:.git/config), inside the work tree: assist writes nothing there');
    expect(status.stdout).toMatch(/^post-commit\s+not installed: add the line$/m);
  });

  it('`assist hook` outside a repository still exits 0 without a word; `hooks install` there says why it cannot', async () => {
    await using dir = tempRepo({ noInit: true });
    expect(await runCli(['hook', 'post-commit'], { cwd: dir.dir, env: dir.env })).toEqual({ code: 0, stdout: '', stderr: '' });
    const install = await runCli(['hooks', 'install'], { cwd: dir.dir, env: dir.env });
    expect(install.code).toBe(1);
    expect(install.stderr).toMatch(/not a git repository/);
  });
});
