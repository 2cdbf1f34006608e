import { describe, expect, it } from 'vitest';
import { classifyProtected, type ProtectedKind } from './protected.js';

const rows: Array<[string, ProtectedKind | undefined]> = [
  ['.assist.toml', 'assist-config'],
  ['.assistignore', 'assist-config'],
  ['packages/web/.assist.toml', 'assist-config'],
  ['.husky/pre-commit', 'git-hooks'],
  ['.githooks/pre-push', 'git-hooks'],
  ['lefthook.yml', 'git-hooks'],
  ['.lefthook-local.yml', 'git-hooks'],
  ['.pre-commit-config.yaml', 'git-hooks'],
  ['.lintstagedrc.json', 'git-hooks'],
  ['.github/workflows/ci.yml', 'ci'],
  ['.GitHub/Workflows/release.yaml', 'ci'],
  ['.github/actions/setup/action.yml', 'ci'],
  ['.gitlab-ci.yml', 'ci'],
  ['.circleci/config.yml', 'ci'],
  ['Jenkinsfile', 'ci'],
  ['ci/Jenkinsfile.release', 'ci'],
  ['azure-pipelines.yml', 'ci'],
  ['.buildkite/pipeline.yml', 'ci'],
  ['.travis.yml', 'ci'],
  ['bitbucket-pipelines.yml', 'ci'],
  ['package-lock.json', 'lockfile'],
  ['apps/web/yarn.lock', 'lockfile'],
  ['pnpm-lock.yaml', 'lockfile'],
  ['Cargo.lock', 'lockfile'],
  ['poetry.lock', 'lockfile'],
  ['go.sum', 'lockfile'],
  ['Gemfile.lock', 'lockfile'],
  ['composer.lock', 'lockfile'],
  ['mix.lock', 'lockfile'],
  ['uv.lock', 'lockfile'],
  ['.terraform.lock.hcl', 'lockfile'],
  ['.gitmodules', 'git-settings'],
  ['src/index.ts', undefined],
  ['package.json', undefined],
  ['.github/CODEOWNERS', undefined],
  ['docs/workflows.md', undefined],
  ['src/lock.ts', undefined],
  ['README.md', undefined],
];

describe('classifyProtected', () => {
  it.each(rows)('%s -> %s', (path, kind) => {
    expect(classifyProtected(path)?.kind).toBe(kind);
  });
});
