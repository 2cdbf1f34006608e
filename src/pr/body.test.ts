import { describe, expect, it } from 'vitest';
import { fenceFor, outputTail, renderBody, replyProse, squashBody, type BodyInput } from './body.js';
import type { FileReview } from '../review/index.js';

const REPLY = [
  'I renamed the function and updated its caller.',
  '',
  'src/a.ts',
  '```ts',
  '<<<<<<< SEARCH',
  'function old() {}',
  '=======',
  'function renamed() {}',
  '>>>>>>> REPLACE',
  '```',
  '',
  'src/b.ts',
  '````ts',
  '<<<<<<< SEARCH',
  '```',
  '=======',
  'x',
  '>>>>>>> REPLACE',
  '````',
  '',
  'Run the tests afterwards.',
].join('\n');

function input(over: Partial<BodyInput> = {}): BodyInput {
  return {
    task: 'Rename old to renamed',
    reply: REPLY,
    base: 'main',
    branch: 'assist/pr-rename-20250101-000000-abcd',
    commits: [{ commit: 'a'.repeat(40), summary: 'Rename old to renamed' }],
    files: ['src/a.ts', 'src/b.ts'],
    refused: [],
    tests: { status: 'passed', command: 'npm test', output: '\u001b[32m✓ 3 passed\u001b[0m\n' },
    usage: { input_tokens: 1234, output_tokens: 56, estimated: false, cost_usd: 0.0123 },
    model: 'openai/gpt-4.1',
    session: '20250101-000000-abcd',
    ...over,
  };
}

describe('the pull-request body', () => {
  it('keeps the prose of the reply and drops its edit blocks', () => {
    expect(replyProse(REPLY)).toBe('I renamed the function and updated its caller.\n\nRun the tests afterwards.');
  });

  it('says what changed, the commits, files, tests and their result, tokens and cost', () => {
    const body = renderBody(input());
    expect(body).toContain('I renamed the function');
    expect(body).not.toContain('SEARCH');
    expect(body).toContain(`${'a'.repeat(12)} Rename old to renamed`);
    expect(body).toContain('- `src/a.ts`');
    expect(body).toContain('`npm test`: **passed**');
    expect(body).toContain('✓ 3 passed');
    expect(body).not.toContain('\u001b[');
    expect(body).toContain('1,234 input and 56 output tokens, about $0.01');
    expect(body).toContain('openai/gpt-4.1');
  });

  it('reports failures, refusals, unknown cost, and tests that were not run', () => {
    const failed = renderBody(input({ tests: { status: 'failed', command: 'make test', output: 'FAIL x' }, refused: [{ file: '.github/workflows/ci.yml', reason: 'protected file' }], usage: { input_tokens: 1, output_tokens: 2, estimated: true, cost_usd: null } }));
    expect(failed).toContain('`make test`: **failed**');
    expect(failed).toContain('FAIL x');
    expect(failed).toContain('`.github/workflows/ci.yml`: protected file');
    expect(failed).toContain('cost unknown');
    expect(failed).toContain('estimated');
    expect(renderBody(input({ tests: { status: 'not run', command: null } }))).toContain('no test command');
  });

  it('fences the task and the test output so they cannot break out, and redacts secrets', () => {
    const task = 'Do it ``` now\n@everyone <script>alert(1)</script>';
    const body = renderBody(input({ task, tests: { status: 'failed', command: 't', output: 'token=sk-secret-value-123456 ````` end' }, secrets: ['sk-secret-value-123456'] }));
    expect(body).toContain(`\`\`\`\`text\n${task}\n\`\`\`\``);
    expect(body).toContain('``````\ntoken=[redacted] ````` end\n``````');
    expect(body).not.toContain('sk-secret-value-123456');
  });

  it('fenceFor is longer than any backtick run; outputTail keeps the end', () => {
    expect(fenceFor('no ticks')).toBe('```');
    expect(fenceFor('a ```` b')).toBe('`````');
    const long = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n');
    const tail = outputTail(long, 200);
    expect(tail.length).toBeLessThan(260);
    expect(tail).toMatch(/^\[… \d+ characters cut …\]\n/);
    expect(tail.endsWith('line 1999')).toBe(true);
  });

  it('the squash body lists the commits and files', () => {
    expect(squashBody([{ commit: 'b'.repeat(40), summary: 'First' }], ['x.ts'])).toBe(`Squashed from:\n- First (${'b'.repeat(12)})\n\nFiles:\n- x.ts`);
  });
});

describe('the review in the body', () => {
  const file = (over: Partial<FileReview>): FileReview => ({ file: 'src/a.ts', status: 'modified', group: 'behaviour', lines: { added: 1, removed: 1 }, definitions: [], breaking: [], risks: [], hunks: 1, whitespaceHunks: 0, formattingOnly: false, ...over });

  it('has no Breaking changes or Risks section when there are none', () => {
    const body = renderBody(input({ review: [file({})] }));
    expect(body).not.toContain('### Breaking changes');
    expect(body).not.toContain('### Risks');
  });

  it('names breaking changes and risks as inert Markdown, before the files', () => {
    const body = renderBody(
      input({
        review: [
          file({
            file: 'src/pricing.ts',
            breaking: [{ file: 'src/pricing.ts', name: 'apply_discount', change: 'removed', before: 'apply_discount(p)', after: null, usedIn: ['src/cart.ts'], references: 1, updatedInBatch: [], text: 'apply_discount(p) removed — used in 1 file (src/cart.ts) @team' }],
            risks: [{ kind: 'lockfile', tag: 'lockfile', reason: 'lockfile: pins what gets installed' }],
          }),
        ],
      }),
    );
    expect(body).toContain('### Breaking changes\n\nExported definitions that other files use were removed or changed their signature:\n\n- `src/pricing.ts`: apply\\_discount(p) removed — used in 1 file (src/cart.ts) \\@team');
    expect(body).toContain('### Risks\n\n- `src/pricing.ts` **lockfile**: lockfile: pins what gets installed');
    expect(body.indexOf('### Risks')).toBeLessThan(body.indexOf('### Files'));
  });
});
