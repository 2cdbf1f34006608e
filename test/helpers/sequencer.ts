import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The longest files, longest first: those of the fourteenth session's last whole run (30 s and more
 * under load, docs/testing.md "Fourteenth session"), then the rest of an older one-worker CI run's
 * (8 s and more). vitest orders by the durations of the last run on this machine, and a fresh clone
 * has none, so it falls back to file size, which can leave a 50 s file to the end: one worker busy,
 * the other idle.
 */
const LONGEST = [
  'test/faults/crash-points.test.ts',
  'test/security/hostile-replies.test.ts',
  'test/integration/pr.test.ts',
  'test/integration/careful-user-2.test.ts',
  'test/integration/code-cache.test.ts',
  'test/integration/careful-user.test.ts',
  'test/integration/cli.test.ts',
  'test/integration/tool-loop.test.ts',
  'test/integration/assist-test.test.ts',
  'test/faults/provider-faults.test.ts',
  'test/mcp/mcp-run.test.ts',
  'test/faults/environment-faults.test.ts',
  'src/git/store.test.ts',
  'test/integration/agent-hooks.test.ts',
  'test/integration/workspaces.test.ts',
  'test/integration/run.test.ts',
  'test/architecture/dependency-rules.test.ts',
  'src/testing/mutation-check.test.ts',
  'test/integration/compression-order.test.ts',
  'test/install/install.test.ts',
  'src/git/crash.test.ts',
  'test/integration/request-vectors.test.ts',
  'test/integration/json-stream.test.ts',
  'test/integration/worktree.test.ts',
  'test/integration/lazy-imports.test.ts',
  'test/mcp/mcp-session.test.ts',
  'test/security/huge-reply.test.ts',
];

/** vitest's order (groups, then the last run's durations or file size), the longest files first within a group. */
export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const position = new Map(sorted.map((spec, i) => [spec, i]));
    const rank = (spec: TestSpecification): number => {
      const i = LONGEST.indexOf(relative(this.ctx.config.root, spec.moduleId));
      return i < 0 ? LONGEST.length : i;
    };
    const group = (spec: TestSpecification): number => spec.project.config.sequence.groupOrder;
    return [...sorted].sort((a, b) => group(a) - group(b) || rank(a) - rank(b) || position.get(a)! - position.get(b)!);
  }
}
