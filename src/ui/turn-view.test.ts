import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Reporter } from './reporter.js';
import { createTurnView } from './turn-view.js';

function view(): { stdin: PassThrough; shown: () => string; ui: ReturnType<typeof createTurnView> } {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  stderr.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const reporter = new Reporter({ stdout, stderr, env: { NO_COLOR: '1' } });
  return { stdin, shown: () => text, ui: createTurnView({ reporter, stdin, streamReply: true, replyTo: stdout, interactive: true }) };
}

describe('the approval of an MCP call', () => {
  it('shows the server, the tool and the arguments, and takes y, n or a as one key', async () => {
    for (const [key, answer] of [
      ['y', 'yes'],
      ['n', 'no'],
      ['a', 'always'],
    ] as const) {
      const t = view();
      const asked = t.ui.approveToolCall!({ server: 'github', tool: 'create_issue', arguments: { title: 'Fix the parser', labels: ['bug'], body: 'x'.repeat(500) } });
      t.stdin.write(key);
      expect(await asked).toBe(answer);
      const shown = t.shown();
      expect(shown).toContain('MCP call server github tool create_issue');
      expect(shown).toContain('"title": "Fix the parser"');
      expect(shown).toMatch(/"body": "x{400}… \(500 characters\)"/);
      expect(shown).toContain('Run github/create_issue? [y/n/a,?]');
    }
  });

  it('Ctrl-C answers no', async () => {
    const t = view();
    const asked = t.ui.approveToolCall!({ server: 's', tool: 't', arguments: {} });
    t.stdin.write('\u0003');
    expect(await asked).toBe('no');
  });
});
