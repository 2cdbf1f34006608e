import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';

/** Every message text a recorded request carried, joined. */
function carried(body: unknown): string {
  return JSON.stringify(body);
}

describe('the conversation lives in git', () => {
  it('--resume in a new process continues with the same history; undo takes the undone exchange out', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'list.txt': 'alpha\n' } });
    try {
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0' };
      server.enqueue(reply.edits([{ path: 'list.txt', search: 'alpha\n', replace: 'alpha\nbravo\n' }], { before: 'ANSWER-ONE' }));
      let r = await runCli(['chat', '--yes'], { cwd: repo.dir, env, input: 'QUESTION-ONE add bravo\n' });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(repo.dir, 'list.txt'), 'utf8')).toBe('alpha\nbravo\n');

      server.enqueue(reply.edits([{ path: 'list.txt', search: 'bravo\n', replace: 'bravo\ncharlie\n' }], { before: 'ANSWER-TWO' }));
      r = await runCli(['chat', '--yes', '--resume'], { cwd: repo.dir, env, input: 'QUESTION-TWO add charlie\n' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('resumed session');
      const second = carried(server.requests[1]!.body);
      expect(second).toContain('QUESTION-ONE');
      expect(second).toContain('ANSWER-ONE');

      r = await runCli(['undo'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(repo.dir, 'list.txt'), 'utf8')).toBe('alpha\nbravo\n');

      server.enqueue(reply.text('ANSWER-THREE'));
      r = await runCli(['chat', '--resume'], { cwd: repo.dir, env, input: 'QUESTION-THREE what is left?\n' });
      expect(r.code, r.stderr).toBe(0);
      const third = carried(server.requests[2]!.body);
      expect(third).toContain('QUESTION-ONE');
      expect(third).toContain('ANSWER-ONE');
      expect(third).not.toContain('QUESTION-TWO');
      expect(third).not.toContain('ANSWER-TWO');

      const log = await runCli(['log', '--json'], { cwd: repo.dir, env });
      expect(log.code, log.stderr).toBe(0);
      const events = JSON.parse(log.stdout) as Array<{ type: string }> | { events: Array<{ type: string }> };
      const types = (Array.isArray(events) ? events : events.events).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['session-started', 'message', 'reply', 'edit', 'undo']));
    } finally {
      repo.cleanup();
    }
  });
});
