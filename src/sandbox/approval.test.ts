import { describe, expect, it } from 'vitest';
import {
  applyAnswer,
  decideApproval,
  initialApprovalState,
  isAutoApproved,
  planApprovals,
  type ApprovalConfig,
  type ApprovalDecision,
  type ApprovalFlags,
  type ApprovalState,
} from './approval.js';

const config: ApprovalConfig = { autoApprove: [], requireConfirmation: true };
const tty: ApprovalFlags = { yes: false, dryRun: false, isTTY: true };
const fresh = initialApprovalState();

interface Row {
  name: string;
  file: string;
  state?: Partial<ApprovalState>;
  config?: Partial<ApprovalConfig>;
  flags?: Partial<ApprovalFlags>;
  expected: ApprovalDecision;
}

const rows: Row[] = [
  { name: 'first edit to a file asks', file: 'src/a.ts', expected: 'ask' },
  { name: 'no terminal, no --yes: refused', file: 'src/a.ts', flags: { isTTY: false }, expected: 'refuse-non-tty' },
  { name: '--yes approves', file: 'src/a.ts', flags: { yes: true }, expected: 'auto' },
  { name: '--yes without a terminal approves', file: 'src/a.ts', flags: { yes: true, isTTY: false }, expected: 'auto' },
  { name: 'always for this file', file: 'src/a.ts', state: { alwaysFiles: new Set(['src/a.ts']) }, expected: 'auto' },
  { name: 'always for another file still asks', file: 'src/b.ts', state: { alwaysFiles: new Set(['src/a.ts']) }, expected: 'ask' },
  { name: 'always this session', file: 'src/b.ts', state: { alwaysSession: true }, expected: 'auto' },
  { name: 'auto_approve glob', file: 'docs/guide.md', config: { autoApprove: ['docs/**'] }, expected: 'auto' },
  { name: 'auto_approve glob without / matches base names', file: 'a/b/c.md', config: { autoApprove: ['*.md'] }, expected: 'auto' },
  { name: 'auto_approve glob that does not match', file: 'src/a.ts', config: { autoApprove: ['docs/**', '*.md'] }, expected: 'ask' },
  { name: 'auto_approve works without a terminal', file: 'docs/x.md', config: { autoApprove: ['docs/**'] }, flags: { isTTY: false }, expected: 'auto' },
  { name: 'require_confirmation = false', file: 'src/a.ts', config: { requireConfirmation: false }, expected: 'auto' },
  { name: 'dry run never writes', file: 'src/a.ts', flags: { dryRun: true, yes: true }, expected: 'dry-run' },
  { name: 'dry run of a protected file', file: '.github/workflows/ci.yml', flags: { dryRun: true }, expected: 'dry-run' },
  { name: 'protected file asks even with --yes', file: '.github/workflows/ci.yml', flags: { yes: true }, expected: 'protected-ask' },
  { name: 'protected file asks despite always-session', file: 'package-lock.json', state: { alwaysSession: true }, expected: 'protected-ask' },
  { name: 'protected file asks despite an auto_approve glob', file: '.assist.toml', config: { autoApprove: ['**'] }, expected: 'protected-ask' },
  { name: 'protected file asks despite require_confirmation = false', file: '.husky/pre-commit', config: { requireConfirmation: false }, expected: 'protected-ask' },
  { name: 'protected file, explicit always-file answer', file: 'yarn.lock', state: { alwaysFiles: new Set(['yarn.lock']) }, expected: 'auto' },
  { name: 'protected file, no terminal, --yes: refused', file: 'Cargo.lock', flags: { yes: true, isTTY: false }, expected: 'refuse-non-tty' },
  { name: 'pr: protected file refused', file: '.gitlab-ci.yml', flags: { mode: 'pr', yes: true, isTTY: false }, expected: 'refuse-protected' },
  { name: 'pr: protected file refused even on a TTY', file: '.assistignore', flags: { mode: 'pr', yes: true }, expected: 'refuse-protected' },
  { name: 'pr: protected file allowed by the flag', file: '.gitlab-ci.yml', flags: { mode: 'pr', allowProtected: true, isTTY: false }, expected: 'auto' },
  { name: 'pr: ordinary file with --yes', file: 'src/a.ts', flags: { mode: 'pr', yes: true, isTTY: false }, expected: 'auto' },
  { name: 'run: protected file asks on a TTY', file: 'go.sum', flags: { mode: 'run', yes: true }, expected: 'protected-ask' },
];

describe('decideApproval', () => {
  it.each(rows)('$name', (row) => {
    const state = { ...fresh, ...row.state };
    expect(decideApproval(row.file, state, { ...config, ...row.config }, { ...tty, ...row.flags })).toBe(row.expected);
  });
});

describe('applyAnswer', () => {
  it.each([
    ['yes', { write: true, stop: false, always: false, session: false }],
    ['no', { write: false, stop: false, always: false, session: false }],
    ['always-file', { write: true, stop: false, always: true, session: false }],
    ['always-session', { write: true, stop: false, always: false, session: true }],
    ['quit', { write: false, stop: true, always: false, session: false }],
  ] as const)('%s', (answer, expected) => {
    const outcome = applyAnswer(fresh, 'src/a.ts', answer);
    expect({ write: outcome.write, stop: outcome.stop, always: outcome.state.alwaysFiles.has('src/a.ts'), session: outcome.state.alwaysSession }).toEqual(expected);
    expect(fresh.alwaysFiles.size).toBe(0);
    expect(fresh.alwaysSession).toBe(false);
  });

  it('progressive trust over a session', () => {
    let state = initialApprovalState();
    expect(decideApproval('a.ts', state, config, tty)).toBe('ask');
    state = applyAnswer(state, 'a.ts', 'always-file').state;
    expect(decideApproval('a.ts', state, config, tty)).toBe('auto');
    expect(decideApproval('b.ts', state, config, tty)).toBe('ask');
    state = applyAnswer(state, 'b.ts', 'always-session').state;
    expect(decideApproval('c.ts', state, config, tty)).toBe('auto');
    expect(decideApproval('.circleci/config.yml', state, config, tty)).toBe('protected-ask');
    expect(state.alwaysFiles).toEqual(new Set(['a.ts']));
  });

  it('planApprovals decides a whole batch', () => {
    const plan = planApprovals(['a.ts', 'pnpm-lock.yaml', 'docs/x.md'], fresh, { autoApprove: ['docs/**'], requireConfirmation: true }, { ...tty, yes: true });
    expect([...plan]).toEqual([
      ['a.ts', 'auto'],
      ['pnpm-lock.yaml', 'protected-ask'],
      ['docs/x.md', 'auto'],
    ]);
  });

  it('isAutoApproved with dotfiles and ./ prefixes', () => {
    expect(isAutoApproved('.config/x.json', ['.config/**'])).toBe(true);
    expect(isAutoApproved('docs/.hidden.md', ['./docs/**'])).toBe(true);
    expect(isAutoApproved('src/a.ts', [])).toBe(false);
  });
});
