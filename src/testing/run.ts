import type { CommandMode } from '../sandbox/index.js';
import type { TestRunner } from './mutation-check.js';

export interface SandboxRunnerOptions {
  /** `sandbox.commands`. */
  mode: CommandMode;
  /** The person agreed to run the tests without a sandbox (no working bubblewrap). */
  approved: boolean;
  env: NodeJS.ProcessEnv;
  /** Secret values to keep out of the tests' environment (`api_key_cmd` output). */
  secrets?: readonly string[];
}

/**
 * Runs the tests as every command runs (DESIGN §7): without provider keys, under bubblewrap when
 * it works, writable only inside the scratch worktree. A package's tests start in its folder.
 */
export function sandboxRunner(options: SandboxRunnerOptions): TestRunner {
  return async (command, where) => {
    const { runCommand } = await import('../sandbox/index.js');
    const rel = where.cwd.slice(where.scratch.dir.length).replace(/^[/\\]+/, '');
    const line = rel === '' ? command : `cd '${rel.replace(/'/g, `'\\''`)}' && ${command}`;
    const r = await runCommand(line, {
      root: where.scratch.dir,
      gitDir: where.scratch.gitDir,
      commonDir: where.scratch.commonDir,
      env: options.env,
      mode: options.mode,
      approved: options.approved,
      timeoutMs: where.timeoutMs,
      maxOutputBytes: 16 * 1024,
      // Dependencies are linked from the person's work tree, which may sit where the sandbox hides (/tmp).
      readOnly: where.scratch.linked,
      ...(options.secrets ? { secrets: options.secrets } : {}),
      ...(where.signal ? { signal: where.signal } : {}),
    });
    return { code: r.code, timedOut: r.timedOut, aborted: r.aborted, output: `${r.stdout}\n${r.stderr}`, ms: r.durationMs };
  };
}
