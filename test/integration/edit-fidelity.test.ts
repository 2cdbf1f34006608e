// Issue 17 item 1 through the built CLI: the bytes a SEARCH/REPLACE reply leaves on disk and in
// the commit, with real git and the fake model server.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reply, startFakeLlm } from '../fake-llm/index.js';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';

const F = '```';
const block = (path: string, body: string): string => `${path}\n${F}\n<<<<<<< SEARCH\n${body}>>>>>>> REPLACE\n${F}\n`;

describe('edit fidelity through `assist run`', () => {
  it('CRLF, trailing blank lines, a BOM, no final newline and a second divider: only the changed lines differ', async () => {
    const files = {
      'crlf.txt': 'one\r\ntwo\r\nthree\r\n\r\n\r\n',
      'bom.cs': '\uFEFFnamespace A\n{\n    class B { }\n}\n',
      'tail.md': '# Title\n\nlast line',
      'div.py': 'def f():\n    return 1\n\n\ndef g():\n    return 2\n',
    };
    const repo = tempRepo({ files });
    await using server = await startFakeLlm();
    server.enqueue(
      reply.text(
        [
          'Here:',
          block('crlf.txt', 'two\n=======\nTWO\n'),
          block('bom.cs', '\uFEFFnamespace A\n{\n=======\n\uFEFFnamespace A2\n{\n'),
          block('tail.md', 'last line\n=======\nlast line, changed\n'),
          block('div.py', '    return 1\n=======\n    return 10\n=======\n    return 1\n'),
        ].join('\n'),
      ),
    );
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '0', ASSIST_SESSION__MAX_REFLECTIONS: '0' };
    const r = await runCli(['run', '--yes', '--json', '-m', 'edit them'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);
    const want = {
      'crlf.txt': 'one\r\nTWO\r\nthree\r\n\r\n\r\n',
      'bom.cs': '\uFEFFnamespace A2\n{\n    class B { }\n}\n',
      'tail.md': '# Title\n\nlast line, changed',
      'div.py': 'def f():\n    return 10\n\n\ndef g():\n    return 2\n',
    };
    for (const [path, text] of Object.entries(want)) {
      expect(readFileSync(join(repo.dir, path), 'utf8'), path).toBe(text);
      // What git committed is the same bytes (no filter in between).
      expect(execFileSync('git', ['cat-file', 'blob', `HEAD:${path}`], { cwd: repo.dir, env: repo.env }).toString('utf8'), path).toBe(text);
    }
  });
});
