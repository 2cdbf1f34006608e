import { spawnSync } from 'node:child_process';
import { it, type TestOptions } from 'vitest';
import { probeBwrap } from '../../src/sandbox/commands/bwrap.js';

declare module 'vitest' {
  interface TaskMeta {
    /** Why the test was skipped (a system tool it needs is missing); the summary reporter groups by it. */
    skipReason?: string;
  }
}

/** The system tools some tests need (DESIGN.md §8). */
export type SystemTool = 'bwrap' | 'tmux' | 'ctags';

/** What {@link requireTool} found. */
export interface ToolCheck {
  tool: SystemTool;
  /** The tool is there and works. */
  ok: boolean;
  /** Tests that need it must not run (for `describe.skipIf` / `it.skipIf`). */
  skip: boolean;
  /** One line on why it is missing, with how to install it; '' when ok. */
  reason: string;
  /** `{skip, meta: {skipReason}}`: pass as the options of `describe`/`it`, so the summary names the reason. */
  options: TestOptions;
}

const PACKAGES: Record<SystemTool, string> = { bwrap: 'bubblewrap', tmux: 'tmux', ctags: 'universal-ctags' };

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** Under CI (`CI=true`, as .ci/run runs) a missing tool is a failure, never a silent skip. */
export function toolsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return truthy(env.CI);
}

async function missing(tool: SystemTool): Promise<string | null> {
  if (tool === 'bwrap') {
    const probe = await probeBwrap();
    if (probe.ok) return null;
    if (probe.reason?.endsWith('not found')) return 'bwrap not found (install bubblewrap)';
    return `bwrap not usable: ${probe.reason ?? 'it failed'} (allow unprivileged user namespaces)`;
  }
  if (tool === 'tmux') return spawnSync('tmux', ['-V']).status === 0 ? null : 'tmux not found (install tmux)';
  const version = spawnSync('ctags', ['--version'], { encoding: 'utf8' });
  if (version.status === 0 && /Universal Ctags/.test(version.stdout)) return null;
  return version.status === 0 ? 'ctags is not Universal Ctags (install universal-ctags)' : 'ctags not found (install universal-ctags)';
}

/**
 * Checks a system tool once, at the top of a test file (bubblewrap must also work: the project's
 * own probe runs it with every flag the sandbox uses). When it is missing, tests given
 * `check.options` (or skipped with `check.skip`) are skipped with the reason; under `CI=true` this
 * also registers a failing test naming the tool, so CI never passes without running them.
 */
export async function requireTool(tool: SystemTool): Promise<ToolCheck> {
  const reason = await missing(tool);
  if (reason === null) return { tool, ok: true, skip: false, reason: '', options: {} };
  if (toolsRequired()) {
    it(`needs ${tool} (CI=true)`, () => {
      throw new Error(`${reason}: CI=true requires every system tool the tests use; .ci/run installs ${PACKAGES[tool]}`);
    });
  }
  return { tool, ok: false, skip: true, reason, options: { skip: true, meta: { skipReason: reason } } };
}
