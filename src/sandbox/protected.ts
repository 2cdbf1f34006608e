/** Kinds of files whose edits always need an explicit approval (DESIGN.md §5). */
export type ProtectedKind = 'assist-config' | 'git-hooks' | 'ci' | 'lockfile' | 'git-settings';

/** Why a file is protected. */
export interface ProtectedFile {
  kind: ProtectedKind;
  /** One line for the prompt and the diff summary. */
  reason: string;
}

const ASSIST_FILES = new Set(['.assist.toml', '.assistignore']);

const HOOK_DIRS = ['.husky/', '.githooks/', '.git-hooks/', '.lefthook/'];
const HOOK_FILES = new Set([
  'lefthook.yml',
  'lefthook.yaml',
  'lefthook.json',
  'lefthook.toml',
  '.lefthook.yml',
  '.lefthook.yaml',
  'lefthook-local.yml',
  'lefthook-local.yaml',
  '.lefthook-local.yml',
  '.lefthook-local.yaml',
  '.pre-commit-config.yaml',
  '.pre-commit-config.yml',
  '.pre-commit-hooks.yaml',
  '.huskyrc',
  '.huskyrc.json',
  '.huskyrc.js',
  '.huskyrc.cjs',
  '.lintstagedrc',
  '.lintstagedrc.json',
  '.lintstagedrc.yaml',
  '.lintstagedrc.yml',
  '.lintstagedrc.js',
  '.lintstagedrc.cjs',
  '.lintstagedrc.mjs',
  'lint-staged.config.js',
  'lint-staged.config.cjs',
  'lint-staged.config.mjs',
  '.simple-git-hooks.json',
  '.simple-git-hooks.js',
  '.simple-git-hooks.cjs',
  'simple-git-hooks.json',
  'simple-git-hooks.js',
  'simple-git-hooks.cjs',
  '.overcommit.yml',
]);

const CI_DIRS = [
  '.github/workflows/',
  '.github/actions/',
  '.gitea/workflows/',
  '.forgejo/workflows/',
  '.gitlab/ci/',
  '.circleci/',
  '.buildkite/',
  '.azure-pipelines/',
  '.woodpecker/',
  '.semaphore/',
  '.teamcity/',
  '.tekton/',
  '.drone/',
];
const CI_FILES = new Set([
  '.gitlab-ci.yml',
  '.gitlab-ci.yaml',
  'azure-pipelines.yml',
  'azure-pipelines.yaml',
  '.travis.yml',
  'appveyor.yml',
  '.appveyor.yml',
  'bitbucket-pipelines.yml',
  '.drone.yml',
  '.drone.star',
  '.woodpecker.yml',
  '.woodpecker.yaml',
  'cloudbuild.yaml',
  'cloudbuild.yml',
  '.cirrus.yml',
  '.cirrus.star',
  'codemagic.yaml',
  'buildspec.yml',
  'buildspec.yaml',
  'wercker.yml',
  'bitrise.yml',
]);

const LOCKFILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lock',
  'bun.lockb',
  'deno.lock',
  'cargo.lock',
  'poetry.lock',
  'pipfile.lock',
  'pdm.lock',
  'uv.lock',
  'pylock.toml',
  'go.sum',
  'go.work.sum',
  'gemfile.lock',
  'gems.locked',
  'composer.lock',
  'mix.lock',
  'packages.lock.json',
  'paket.lock',
  'podfile.lock',
  'package.resolved',
  'pubspec.lock',
  'flake.lock',
  'gradle.lockfile',
  'conan.lock',
  'cartfile.resolved',
  'shard.lock',
  'stack.yaml.lock',
  'cabal.project.freeze',
  'rebar.lock',
  '.terraform.lock.hcl',
  'module.bazel.lock',
  'manifest.toml',
]);

function inDir(lower: string, dirs: readonly string[]): boolean {
  return dirs.some((dir) => lower.startsWith(dir) || lower.includes(`/${dir}`));
}

/**
 * Whether an edit to the repo-relative posix path `rel` always needs an explicit approval,
 * even with `--yes`: assist's own config, git hook managers, CI configuration, lockfiles and
 * `.gitmodules`. Case-insensitive, because some file systems are.
 */
export function classifyProtected(rel: string): ProtectedFile | undefined {
  const lower = rel.replace(/^\.\//, '').toLowerCase();
  const base = lower.slice(lower.lastIndexOf('/') + 1);
  if (ASSIST_FILES.has(base)) return { kind: 'assist-config', reason: "assist's own configuration" };
  if (HOOK_FILES.has(base) || inDir(lower, HOOK_DIRS)) return { kind: 'git-hooks', reason: 'git hook configuration: runs code on commit' };
  if (CI_FILES.has(base) || inDir(lower, CI_DIRS) || base === 'jenkinsfile' || base.startsWith('jenkinsfile.')) {
    return { kind: 'ci', reason: 'CI configuration: runs code with the CI secrets' };
  }
  // Julia's Manifest.toml is a lockfile; Cargo's and others share names only by case.
  if (LOCKFILES.has(base)) return { kind: 'lockfile', reason: 'lockfile: pins what gets installed' };
  if (base === '.gitmodules' && !lower.includes('/')) return { kind: 'git-settings', reason: 'submodule sources: what git clones' };
  return undefined;
}
