import { existsSync, readFileSync } from 'node:fs';
import { loadConfig, type Config } from '../../src/config/index.js';
import { resolveRepoPaths } from '../../src/git/repo-paths.js';
import { createAuditLog, type AuditRecord } from '../../src/sandbox/index.js';
import type { ToolContext } from '../../src/tools/types.js';
import type { TempRepo } from './git-repo.js';

export interface ToolContextOptions {
  /** Changes to the default config (the person's config files are isolated by the temp repo's HOME). */
  configure?(config: Config): void;
  addedByName?: string[];
  readFiles?: string[];
  yes?: boolean;
  interactive?: boolean;
  confirmCommand?: ToolContext['confirmCommand'];
  testCommand?: string | null;
  repoMap?: ToolContext['repoMap'];
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/** A tool context over a real temp repo with a real audit log in its common git dir. */
export interface TestToolContext extends ToolContext {
  /** The audit log's lines so far. */
  auditRecords(): AuditRecord[];
}

export async function toolContext(repo: TempRepo, options: ToolContextOptions = {}): Promise<TestToolContext> {
  const paths = await resolveRepoPaths(repo.dir, repo.env);
  const env = options.env ?? repo.env;
  const { config } = await loadConfig({ env, repoRoot: paths.root });
  options.configure?.(config);
  const audit = createAuditLog(paths.sharedAssistDir, 'sess-tools', { secrets: [] });
  const testCommand = options.testCommand ?? null;
  return {
    root: paths.root,
    gitDir: paths.gitDir,
    commonDir: paths.commonDir,
    env,
    config,
    addedByName: new Set(options.addedByName ?? []),
    readFiles: new Set(options.readFiles ?? []),
    pending: new Map(),
    audit,
    requestId: 'req-1',
    yes: options.yes ?? false,
    interactive: options.interactive ?? false,
    ...(options.confirmCommand ? { confirmCommand: options.confirmCommand } : {}),
    ...(options.repoMap ? { repoMap: options.repoMap } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    testCommand: () => Promise.resolve(testCommand),
    auditRecords() {
      if (!existsSync(audit.path)) return [];
      return readFileSync(audit.path, 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as AuditRecord);
    },
  };
}
