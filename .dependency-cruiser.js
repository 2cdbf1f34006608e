// The import rules of src/ (DESIGN.md §1, docs/architecture.md), checked by dependency-cruiser in
// `npm test` (test/architecture/dependency-rules.test.ts) and by hand with `npm run lint:deps`.
// Test files are left out: a test may reach across layers to set up what it checks.

/** The folders below session/: none of them may reach up into the layers that drive them. */
const LOWER = ['context', 'llm', 'tools', 'testing', 'review', 'edits', 'sandbox', 'git', 'config', 'obs', 'util', 'summaries', 'hooks'];

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'An import cycle between files of src/ (type-only and dynamic imports count: they tangle the design as much). ' +
        'Cut it by moving what both files need into a lower module that imports neither.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'session-not-to-ui-or-cli',
      severity: 'error',
      comment: 'session/ is UI-agnostic: it emits events that ui/ renders and is driven by cli/, never the other way round.',
      from: { path: '^src/session/' },
      to: { path: '^src/(ui|cli)/' },
    },
    {
      name: 'ui-not-to-cli-or-pr',
      severity: 'error',
      comment: 'ui/ renders what the session emits; cli/ wires it up, and pr/ is a command of its own beside it.',
      from: { path: '^src/ui/' },
      to: { path: '^src/(cli|pr)/' },
    },
    {
      name: 'pr-not-to-cli-or-ui',
      severity: 'error',
      comment: 'pr/ runs `assist pr` without a terminal of its own: cli/ prints its report.',
      from: { path: '^src/pr/' },
      to: { path: '^src/(cli|ui)/' },
    },
    {
      name: 'lower-layers-not-up',
      severity: 'error',
      comment: `The folders below session/ (${LOWER.join(', ')}) import none of session/, ui/, cli/, pr/: move what they need down, or pass it in.`,
      from: { path: `^src/(${LOWER.join('|')})/` },
      to: { path: '^src/(session|ui|cli|pr)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    // Type-only imports (`import type`, `export type ... from`) are dependencies too.
    tsPreCompilationDeps: true,
  },
};
