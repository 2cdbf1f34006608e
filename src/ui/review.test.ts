import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FileReview, Review } from '../review/index.js';
import type { FileChangePreview } from '../session/types.js';
import { renderFileDiff } from './diff.js';
import { Reporter } from './reporter.js';
import { headerTags, renderReview } from './review.js';
import { createTurnView } from './turn-view.js';

function file(over: Partial<FileReview> & { file: string }): FileReview {
  return { status: 'modified', group: 'behaviour', lines: { added: 1, removed: 1 }, definitions: [], breaking: [], risks: [], hunks: 1, whitespaceHunks: 0, formattingOnly: false, ...over };
}

const breaking = {
  file: 'src/pricing.ts',
  name: 'applyDiscount',
  change: 'signature' as const,
  before: 'applyDiscount(price, pct)',
  after: 'applyDiscount(price, pct, currency)',
  usedIn: ['src/cart.ts', 'src/checkout.ts', 'test/pricing.test.ts'],
  references: 7,
  updatedInBatch: [],
  text: 'applyDiscount(price, pct) → applyDiscount(price, pct, currency) — used in 3 files (src/cart.ts, src/checkout.ts, test/pricing.test.ts)',
};

const review: Review = {
  files: [
    file({ file: 'src/pricing.ts', group: 'breaking', breaking: [breaking], definitions: [{ name: 'applyDiscount', kind: 'function', change: 'changed', exported: true, signatureChanged: true }] }),
    file({ file: 'package.json', risks: [{ kind: 'new-dependency', tag: '+left-pad', reason: 'new dependency: left-pad ^1.3.0' }] }),
    file({ file: 'test/pricing.test.ts', group: 'tests', risks: [{ kind: 'tests-weakened', tag: '-1 assertions', reason: 'removes 1 of 2 assertions' }] }),
    file({ file: 'src/style.ts', group: 'docs', formattingOnly: true, hunks: 2, whitespaceHunks: 2 }),
  ],
  breaking: [breaking],
  groups: [
    { group: 'breaking', files: ['src/pricing.ts'] },
    { group: 'behaviour', files: ['package.json'] },
    { group: 'tests', files: ['test/pricing.test.ts'] },
    { group: 'docs', files: ['src/style.ts'] },
  ],
  ms: 3,
};

describe('the review as shown', () => {
  it('puts the breaking change first, then a line per file in review order with its impact and risk tags', () => {
    const text = renderReview(review, { color: false });
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('review: 4 files (1 breaking, 1 behaviour, 1 tests, 1 docs/formatting), 2 risks');
    expect(lines[1]).toBe(`breaking: ${breaking.text}`);
    expect(lines[2]).toMatch(/^ {2}breaking {2}M src\/pricing\.ts +\+1 -1 {2}changes applyDiscount$/);
    expect(lines[3]).toMatch(/^ {2}behaviour M package\.json +\+1 -1 {2}\[\+left-pad\]$/);
    expect(lines[4]).toMatch(/tests .*test\/pricing\.test\.ts .*\[-1 assertions\]$/);
    expect(lines[5]).toMatch(/docs .*src\/style\.ts .*formatting only$/);
    expect(lines.slice(6)).toEqual(['  ! package.json: new dependency: left-pad ^1.3.0', '  ! test/pricing.test.ts: removes 1 of 2 assertions']);
  });

  it('tags the diff header and folds whitespace-only hunks with a count', () => {
    const before = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const after = before.replace('line 2\n', '  line 2\n').replace('line 20\n', 'line twenty\n');
    const shown = renderFileDiff({ path: 'src/a.ts', before, after }, { color: false, tags: headerTags(review.files[0]), foldWhitespace: true });
    expect(shown.split('\n')[0]).toBe('diff --git a/src/a.ts b/src/a.ts  [breaking]');
    expect(shown).toContain('+line twenty');
    expect(shown).not.toContain('+  line 2');
    expect(shown).toContain('… 1 whitespace-only hunk folded');
    const onlyWs = renderFileDiff({ path: 'src/a.ts', before, after: before.replace('line 2\n', '  line 2\n') }, { color: false, foldWhitespace: true });
    expect(onlyWs).toContain('formatting only: 1 whitespace-only hunk folded');
  });
});

function view(): { stdin: PassThrough; shown: () => string; waitFor: (text: string) => Promise<void>; ui: ReturnType<typeof createTurnView> } {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (d: Buffer) => (text += d.toString('utf8')));
  // Resolves on the write that shows `wanted` (a prompt), not on a timer.
  const waitFor = (wanted: string): Promise<void> =>
    new Promise((resolve) => {
      if (text.includes(wanted)) return resolve();
      const on = (): void => {
        if (!text.includes(wanted)) return;
        stderr.off('data', on);
        resolve();
      };
      stderr.on('data', on);
    });
  const reporter = new Reporter({ stdout, stderr, env: { NO_COLOR: '1' } });
  return { stdin, shown: () => text, waitFor, ui: createTurnView({ reporter, stdin, streamReply: true, replyTo: stdout, interactive: true }) };
}

function change(path: string, group: 'behaviour' | 'tests' = 'behaviour'): FileChangePreview {
  return { path, before: 'a\n', after: `b ${path}\n`, review: file({ file: path, group }), reviewGroup: { id: `b1:${group}`, group } };
}

describe('group answers', () => {
  it('one answer covers the files of a group: their diffs shown, then one question; the others are not asked again', async () => {
    const t = view();
    const a = change('src/a.ts');
    const b = change('src/b.ts');
    t.ui.review!(review);
    const asked = t.ui.approve!({ ...a, group: { id: 'b1:behaviour', group: 'behaviour', pending: [a, b] } });
    t.stdin.write('y');
    expect(await asked).toBe('yes');
    const shown = t.shown();
    expect(shown).toContain('+b src/a.ts');
    expect(shown).toContain('+b src/b.ts');
    expect(shown).toContain('Apply the 2 behaviour changes (src/a.ts, src/b.ts)? [y/n/a/s/q/f,?]');
    // The second file of the group takes the group's answer without a prompt or a second diff.
    expect(await t.ui.approve!(b)).toBe('yes');
    t.ui.preview!(b);
    expect(t.shown().split('+b src/b.ts').length).toBe(2);
  });

  it('f goes through the group file by file, with the per-file answers', async () => {
    const t = view();
    const a = change('src/a.ts');
    const b = change('src/b.ts');
    const first = t.ui.approve!({ ...a, group: { id: 'b1:behaviour', group: 'behaviour', pending: [a, b] } });
    t.stdin.write('f');
    await t.waitFor('Apply the edit to src/a.ts? [y/n/a/s/q,?]');
    t.stdin.write('n');
    expect(await first).toBe('no');
    const second = t.ui.approve!(b);
    t.stdin.write('y');
    expect(await second).toBe('yes');
    expect(t.shown()).toContain('Apply the edit to src/b.ts? [y/n/a/s/q,?]');
  });
});
