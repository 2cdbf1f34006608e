import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { cliPath } from '../helpers/run-cli.js';
import { startTerminal } from '../helpers/tmux.js';
import { requireTool } from '../helpers/system-tools.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';

const tmux = await requireTool('tmux');

describe('assist chat in a real terminal', tmux.options, () => {
  it('ask, see the streamed reply and the diff, approve, /undo, /commit of own work and its /undo, /exit', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'notes.md': '# Notes\n\nfirst line\n' } });
    const term = startTerminal([process.execPath, cliPath, 'chat', 'notes.md'], {
      cwd: repo.dir,
      env: { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', TERM: 'xterm-256color', ASSIST_CONTEXT__MAP_TOKENS: '0' },
    });
    try {
      server.enqueue(
        reply.edits([{ path: 'notes.md', search: 'first line\n', replace: 'first line\nsecond line\n' }], {
          before: 'I will add a second line to the notes.',
          chunkSize: 8,
        }),
      );
      await term.waitFor('/help for commands');
      term.type('add a second line');
      term.press('Enter');
      await term.waitFor('I will add a second line to the notes.');
      const screen = await term.waitFor('Apply the edit to notes.md?');
      expect(screen).toContain('+second line');
      term.press('y');
      await term.waitFor(/committed [0-9a-f]{10}/);
      expect(readFileSync(join(repo.dir, 'notes.md'), 'utf8')).toBe('# Notes\n\nfirst line\nsecond line\n');
      expect(repo.git('log', '-1', '--format=%(trailers:key=Assist-Event,valueonly)').trim()).toBe('edit');

      term.type('/undo');
      term.press('Enter');
      await term.waitFor('undid 1 edit');
      expect(readFileSync(join(repo.dir, 'notes.md'), 'utf8')).toBe('# Notes\n\nfirst line\n');

      // The person's own change, committed from the chat, and taken back out by /undo.
      repo.write('notes.md', '# Notes\n\nfirst line\nmine\n');
      term.type('/commit notes by hand');
      term.press('Enter');
      await term.waitFor(/committed your changes to notes\.md as [0-9a-f]{10}/);
      expect(repo.git('log', '-1', '--format=%s %(trailers:key=Assist-Event,valueonly)').trim()).toBe('notes by hand snapshot');
      expect(repo.git('status', '--porcelain')).toBe('');
      term.type('/undo');
      term.press('Enter');
      // The first /undo printed the same line: wait for the one after the commit.
      await term.waitFor(/committed your changes[^\n]*\n(?:.*\n)*.*undid 1 edit: notes\.md/);
      expect(repo.git('status', '--porcelain')).toBe(' M notes.md');
      expect(readFileSync(join(repo.dir, 'notes.md'), 'utf8')).toBe('# Notes\n\nfirst line\nmine\n');

      term.type('/exit');
      term.press('Enter');
      const deadline = Date.now() + 10_000;
      while (!term.exited() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(term.exited()).toBe(true);
    } finally {
      term.kill();
      repo.cleanup();
    }
  });

  it('approval answers: no leaves the file, always-for-this-file stops asking for it', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'a.txt': 'a1\n', 'b.txt': 'b1\n' } });
    const term = startTerminal([process.execPath, cliPath, 'chat'], {
      cwd: repo.dir,
      env: { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' },
    });
    try {
      server.enqueue(
        reply.edits([
          { path: 'a.txt', search: 'a1\n', replace: 'a2\n' },
          { path: 'b.txt', search: 'b1\n', replace: 'b2\n' },
        ]),
        reply.edits([{ path: 'a.txt', search: 'a2\n', replace: 'a3\n' }]),
      );
      await term.waitFor('/help for commands');
      term.type('change both');
      term.press('Enter');
      // Both are docs: asked about as a group first; `f` goes through them one by one.
      await term.waitFor('Apply the 2 docs and formatting changes (a.txt, b.txt)?');
      term.press('f');
      await term.waitFor('Apply the edit to a.txt?');
      term.press('a');
      await term.waitFor('Apply the edit to b.txt?');
      term.press('n');
      await term.waitFor(/committed [0-9a-f]{10}/);
      expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('a2\n');
      expect(readFileSync(join(repo.dir, 'b.txt'), 'utf8')).toBe('b1\n');

      term.type('again');
      term.press('Enter');
      await term.waitFor(/committed [0-9a-f]{10}[^\n]*\n(?:.*\n)*.*committed [0-9a-f]{10}/);
      expect(term.screen().match(/Apply the edit to a\.txt\?/g)).toHaveLength(1);
      expect(readFileSync(join(repo.dir, 'a.txt'), 'utf8')).toBe('a3\n');
      term.press('C-d');
    } finally {
      term.kill();
      repo.cleanup();
    }
  });
});

describe('the tool loop in a real terminal', tmux.options, () => {
  it('the model reads and edits a file nobody added: a status line per call, the diff, approval, the commit', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'src/lib/pricing.ts': 'export function applyDiscount(price: number, pct: number): number {\n  return price - pct;\n}\n', 'README.md': '# shop\n' } });
    const term = startTerminal([process.execPath, cliPath, 'chat'], {
      cwd: repo.dir,
      env: { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', TERM: 'xterm-256color', ASSIST_CONTEXT__MAP_TOKENS: '0' },
    });
    try {
      server.enqueue(
        { kind: 'text', text: '', toolCalls: [{ name: 'search', arguments: { pattern: 'applyDiscount' } }] },
        { kind: 'text', text: '', toolCalls: [{ name: 'read_file', arguments: { path: 'src/lib/pricing.ts' } }] },
        {
          kind: 'text',
          text: 'It subtracts the percentage as an amount.',
          toolCalls: [{ name: 'edit_file', arguments: { path: 'src/lib/pricing.ts', search: '  return price - pct;\n', replace: '  return price * (1 - pct / 100);\n' } }],
        },
        reply.text('Fixed: the discount is a percentage now.'),
      );
      await term.waitFor('/help for commands');
      term.type('the discount is wrong');
      term.press('Enter');
      await term.waitFor(/• search "applyDiscount" → 1 match/);
      await term.waitFor(/• read src\/lib\/pricing\.ts \(3 lines\)/);
      const screen = await term.waitFor('Apply the edit to src/lib/pricing.ts?');
      expect(screen).toContain('+  return price * (1 - pct / 100);');
      term.press('y');
      await term.waitFor(/committed [0-9a-f]{10}/);
      await term.waitFor('Fixed: the discount is a percentage now.');
      expect(readFileSync(join(repo.dir, 'src/lib/pricing.ts'), 'utf8')).toContain('price * (1 - pct / 100)');
      expect(repo.git('show', '--name-only', '--format=', 'HEAD')).toBe('src/lib/pricing.ts');
      term.type('/exit');
      term.press('Enter');
    } finally {
      term.kill();
      repo.cleanup();
    }
  });
});
