import type { ConfigValue, LoadedConfig } from '../config/index.js';
import { PUSH_ENV, type GitRunner } from './git.js';

/** Where `pr` got its rules from. */
export interface PrConfig {
  loaded: LoadedConfig;
  /** `<base>:.assist.toml`, or null when the base has none. */
  projectFile: string | null;
  /** Why the base's file counts as trusted: `assist trust` (its hash), `ci`, or null (untrusted or absent). */
  trustedBy: 'trust' | 'ci' | null;
  warnings: string[];
}

/** Whether we run in CI: GitHub Actions, GitLab CI and most others set `CI=true`. */
export function isCi(env: NodeJS.ProcessEnv): boolean {
  const truthy = (v: string | undefined): boolean => v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
  return truthy(env.CI) || truthy(env.GITHUB_ACTIONS) || truthy(env.GITLAB_CI);
}

/** The text of `.assist.toml` at `commit`, or null when it has none. */
export async function projectFileAt(git: GitRunner, commit: string): Promise<string | null> {
  const r = await git(['cat-file', 'blob', `${commit}:.assist.toml`]);
  return r.code === 0 ? r.stdout : null;
}

/**
 * Config for `pr`: the project file is read from the base commit, never the work tree, so a task
 * cannot change its own rules. That file is trusted when its hash was trusted with `assist
 * trust`, or in CI: there it is the repository owner's file from the base branch (reviewed and
 * protected), the workflow that runs assist is the owner's, and no person is there to run `assist
 * trust`. Outside CI an untrusted file's risky keys are ignored, as everywhere else.
 */
export async function loadPrConfig(options: {
  env: NodeJS.ProcessEnv;
  root: string;
  git: GitRunner;
  baseCommit: string;
  baseLabel: string;
  flags: Record<string, { value: ConfigValue; flag: string }>;
}): Promise<PrConfig> {
  const { loadConfig, parseConfigText, buildConfig } = await import('../config/index.js');
  const text = await projectFileAt(options.git, options.baseCommit);
  const label = `${options.baseLabel}:.assist.toml`;
  const loaded = await loadConfig({ env: options.env, repoRoot: options.root, flags: options.flags, projectSource: { text, label } });
  let warnings = loaded.warnings.filter((w) => !PUSH_ENV.some((name) => w.includes(name)));
  let trustedBy: PrConfig['trustedBy'] = text !== null && loaded.projectTrusted ? 'trust' : null;
  if (text !== null && !loaded.projectTrusted && isCi(options.env)) {
    const parsed = await parseConfigText(text, label);
    for (const entry of parsed.entries) {
      if (!entry.def.needsTrust) continue;
      const current = loaded.values.get(entry.key);
      // Env and flags still win over the project file.
      if (current && (current.origin.kind === 'env' || current.origin.kind === 'flag')) continue;
      loaded.values.set(entry.key, { value: entry.value, origin: { kind: 'file', scope: 'project', file: label, line: entry.line } });
    }
    loaded.config = buildConfig(loaded.values);
    loaded.ignoredUntrusted = [];
    loaded.projectTrusted = true;
    warnings = warnings.filter((w) => !w.includes('until you trust it'));
    trustedBy = 'ci';
  }
  return { loaded, projectFile: text === null ? null : label, trustedBy, warnings };
}
