// Issue 24, third part: items 3, 8, 9 and 16 (the ones fixed in the session and the terminal UI),
// each through the built CLI, real git and the fake model server.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reply, startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { cliPath, runCli } from '../helpers/run-cli.js';
import { startTerminal } from '../helpers/tmux.js';
import { requireTool } from '../helpers/system-tools.js';

const tmux = await requireTool('tmux');

function cliEnv(repo: TempRepo, server: FakeLlmServer, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0', ...extra };
}
const generations = (server: FakeLlmServer) => server.requests.filter((q) => q.provider !== undefined);

describe('item 8: a file over context.max_file_bytes is not sent whole', () => {
  it('on the command line it is refused in one line (exit 3) and no request is sent', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'big.txt': 'x'.repeat(5000) + '\n', 'a.txt': 'a\n' } });
    server.enqueue(reply.text('never asked'));
    const r = await runCli(['run', '--yes', '-m', 'summarise big.txt', 'big.txt'], { cwd: repo.dir, env: cliEnv(repo, server, { ASSIST_CONTEXT__MAX_FILE_BYTES: '1000' }) });
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/cannot add big\.txt: 5001 bytes, over context\.max_file_bytes \(1000\)/);
    expect(generations(server)).toHaveLength(0);
  });
});

describe('item 9: an enormous reply is not echoed back whole', () => {
  it('the retry quotes a bounded excerpt of a 5,000-line block that failed', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: { 'a.txt': 'alpha\n' } });
    const huge = Array.from({ length: 5000 }, (_, i) => `line ${i} that is not in the file`).join('\n');
    server.enqueue(reply.edits([{ path: 'a.txt', search: `${huge}\n`, replace: 'beta\n' }]), reply.text('I give up.'));
    const r = await runCli(['run', '--yes', '--json', '-m', 'change a', 'a.txt'], { cwd: repo.dir, env: cliEnv(repo, server, { ASSIST_SESSION__MAX_REFLECTIONS: '1' }) });
    expect([1, 5]).toContain(r.code);
    const [first, retry] = generations(server);
    expect(first).toBeDefined();
    expect(retry).toBeDefined();
    // The failed block's SEARCH (~170 kB) is quoted in part: the retry's new message stays small.
    const lastUser = retry!.messages.filter((m) => m.role === 'user').at(-1)!.content;
    expect(lastUser).toContain('lines left out');
    expect(lastUser.length).toBeLessThan(10_000);
  });
});

describe('item 3: a change made while the approval prompt is open is never overwritten', () => {
  it('the person edits the file while [y/n/a/s/q,?] waits: approving writes nothing over it, and says so', tmux.options, async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'notes.md': '# Notes\n\nfirst line\n' } });
    const term = startTerminal([process.execPath, cliPath, 'chat', 'notes.md'], {
      cwd: repo.dir,
      env: { ...cliEnv(repo, server), TERM: 'xterm-256color', ASSIST_SESSION__TOOLS: 'off' },
    });
    try {
      server.enqueue(reply.edits([{ path: 'notes.md', search: 'first line\n', replace: 'first line\nfrom the model\n' }]));
      await term.waitFor('/help for commands');
      term.type('add a line');
      term.press('Enter');
      await term.waitFor('Apply the edit to notes.md?');
      writeFileSync(join(repo.dir, 'notes.md'), '# Notes\n\nfirst line\nmine, typed meanwhile\n');
      term.press('y');
      await term.waitFor('not applied: notes.md changed while the approval was open');
      expect(readFileSync(join(repo.dir, 'notes.md'), 'utf8')).toBe('# Notes\n\nfirst line\nmine, typed meanwhile\n');
      expect(repo.git('log', '--format=%s', '-1')).not.toContain('Add a line');
    } finally {
      term.kill();
      repo.cleanup();
    }
  });
});

describe('item 16: typed-ahead text does not answer the approval prompt', () => {
  it('"please wait" typed as a burst is ignored with a note; the next single key answers', tmux.options, async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'notes.md': '# Notes\n\nfirst line\n' } });
    const term = startTerminal([process.execPath, cliPath, 'chat', 'notes.md'], {
      cwd: repo.dir,
      env: { ...cliEnv(repo, server), TERM: 'xterm-256color', ASSIST_SESSION__TOOLS: 'off' },
    });
    try {
      server.enqueue(reply.edits([{ path: 'notes.md', search: 'first line\n', replace: 'first line\nsecond line\n' }]));
      await term.waitFor('/help for commands');
      term.type('add a line');
      term.press('Enter');
      await term.waitFor('Apply the edit to notes.md?');
      term.type('please wait');
      await term.waitFor('ignored 11 typed characters');
      expect(readFileSync(join(repo.dir, 'notes.md'), 'utf8')).toBe('# Notes\n\nfirst line\n');
      term.press('n');
      await term.waitFor(/\[y\/n\/a\/s\/q,\?\] n\n(?:.*\n)*tokens: /);
      expect(readFileSync(join(repo.dir, 'notes.md'), 'utf8')).toBe('# Notes\n\nfirst line\n');
    } finally {
      term.kill();
      repo.cleanup();
    }
  });
});
