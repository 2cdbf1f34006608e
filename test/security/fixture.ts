import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { copyTempRepo, tempRepo, type TempRepo } from '../helpers/git-repo.js';

let built: TempRepo | undefined;

/**
 * The repository every case starts from: links out, links in, a nested repo, ignored files,
 * protected files. Built once per test file and copied for each case (`copyTempRepo`): the build
 * is ~10 git processes, ~0.2 s of CPU, a sixth of a hostile-reply case's.
 */
export function fixture(): TempRepo {
  if (built === undefined) {
    const made = build();
    process.once('exit', () => made.cleanup());
    built = made;
  }
  return copyTempRepo(built);
}

function build(): TempRepo {
  const repo = tempRepo({
    files: {
      'a.txt': 'alpha\n',
      'sub/b.txt': 'beta\n',
      'data.json/inner.txt': 'inner\n',
      '.gitignore': '*.log\nbuild/\nnode_modules/\n.env*\n',
      '.assist.toml': 'model = "openai/gpt-4.1"\n',
      '.github/workflows/ci.yml': 'on: push\n',
      'package-lock.json': '{}\n',
      '.assistignore': 'secret/\n',
      'config': 'not the git config\n',
    },
  });
  const base = dirname(repo.dir);
  mkdirSync(join(base, 'outside'), { recursive: true });
  writeFileSync(join(base, 'outside', 'file.txt'), 'outside\n');
  writeFileSync(join(repo.dir, 'img.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 1, 2, 3]));
  symlinkSync('../outside', join(repo.dir, 'link-out'));
  symlinkSync('../outside/file.txt', join(repo.dir, 'link-file.txt'));
  symlinkSync('/etc/hostname', join(repo.dir, 'link-abs.txt'));
  mkdirSync(join(repo.dir, 'deep'));
  symlinkSync('../..', join(repo.dir, 'deep', 'link-up'));
  symlinkSync('.git', join(repo.dir, 'link-git'));
  symlinkSync('.git/hooks', join(repo.dir, 'link-hooks'));
  symlinkSync('loop-b', join(repo.dir, 'loop-a'));
  symlinkSync('loop-a', join(repo.dir, 'loop-b'));
  symlinkSync('chain2.txt', join(repo.dir, 'chain1.txt'));
  symlinkSync('../outside/file.txt', join(repo.dir, 'chain2.txt'));
  symlinkSync('a.txt', join(repo.dir, 'link-in.txt'));
  symlinkSync('/dev/null', join(repo.dir, 'dev-null.txt'));
  linkSync(join(base, 'outside', 'file.txt'), join(repo.dir, 'hard.txt'));
  repo.commitAll('fixture');
  mkdirSync(join(repo.dir, 'vendor', 'lib'), { recursive: true });
  execFileSync('git', ['init', '-q'], { cwd: join(repo.dir, 'vendor', 'lib'), env: repo.env });
  writeFileSync(join(repo.dir, 'vendor', 'lib', 'file.txt'), 'nested\n');
  // Not committed: ignored files, a FIFO, secrets.
  writeFileSync(join(repo.dir, 'secrets.log'), 'token=abc\n');
  writeFileSync(join(repo.dir, '.env'), 'API_KEY=hunter2\n');
  writeFileSync(join(repo.dir, '.env.local'), 'X=1\n');
  mkdirSync(join(repo.dir, 'build'));
  writeFileSync(join(repo.dir, 'build', 'out.js'), 'built\n');
  mkdirSync(join(repo.dir, 'node_modules', 'pkg'), { recursive: true });
  writeFileSync(join(repo.dir, 'node_modules', 'pkg', 'index.js'), 'module.exports = 1;\n');
  execFileSync('mkfifo', [join(repo.dir, 'fifo.txt')]);
  writeFileSync(join(repo.dir, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return repo;
}

