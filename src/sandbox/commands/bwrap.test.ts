import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../../test/helpers/git-repo.js';
import { bwrapArgs, sandboxEnv } from './bwrap.js';

function mounts(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i];
    if (flag === '--tmpfs') out.push(`tmpfs ${args[++i]}`);
    else if (flag === '--bind' || flag === '--ro-bind') {
      out.push(`${flag.slice(2)} ${args[i + 1]}`);
      i += 2;
    }
  }
  return out;
}

describe('bwrapArgs', () => {
  it('binds the work tree after the private /tmp, and .git read-only after the work tree', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const git = join(repo.dir, '.git');
    const args = bwrapArgs({ root: repo.dir, gitDir: git, commonDir: git });
    expect(mounts(args)).toEqual(['ro-bind /', 'tmpfs /tmp', 'tmpfs /run', `bind ${repo.dir}`, `ro-bind ${git}`]);
    expect(args.slice(args.indexOf('--chdir'), args.indexOf('--chdir') + 2)).toEqual(['--chdir', repo.dir]);
    for (const flag of ['--unshare-net', '--unshare-pid', '--die-with-parent', '--new-session']) expect(args).toContain(flag);
    expect(args.join(' ')).toContain('--cap-drop ALL');
  });

  it('keeps a worktree inside the common git dir writable, and its own .git file read-only', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'a\n' } });
    const common = join(repo.dir, '.git');
    const root = join(common, 'wt-inside');
    mkdirSync(root);
    writeFileSync(join(root, '.git'), `gitdir: ${common}/worktrees/wt-inside\n`);
    const args = bwrapArgs({ root, gitDir: join(common, 'worktrees', 'missing'), commonDir: common, readOnly: [join(root, 'does-not-exist')] });
    expect(mounts(args)).toEqual(['ro-bind /', 'tmpfs /tmp', 'tmpfs /run', `ro-bind ${common}`, `bind ${root}`, `ro-bind ${root}/.git`]);
  });
});

describe('sandboxEnv', () => {
  it('moves caches into the private /tmp and keeps the rest', () => {
    expect(sandboxEnv({ PATH: '/bin', HOME: '/home/me', TMPDIR: '/home/me/tmp' })).toEqual({
      PATH: '/bin',
      HOME: '/home/me',
      TMPDIR: '/tmp',
      XDG_CACHE_HOME: '/tmp/.cache',
      GOCACHE: '/tmp/.cache/go-build',
      npm_config_cache: '/tmp/.npm',
    });
  });
});
