import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { runCli } from '../../test/helpers/run-cli.js';
import { parseSearchFlags } from './search-fast.js';

describe('assist search fast path', () => {
  it('takes the plain forms of the flags and leaves everything else to the command line', () => {
    expect(parseSearchFlags(['retry', 'delay'])).toEqual({ k: undefined, scope: undefined, json: false, query: ['retry', 'delay'] });
    expect(parseSearchFlags(['--k', '3', 'retry', '--path=src', '--json', 'delay'])).toEqual({ k: '3', scope: 'src', json: true, query: ['retry', 'delay'] });
    expect(parseSearchFlags(['--k=7', '--path', 'src/llm', 'x'])).toMatchObject({ k: '7', scope: 'src/llm' });
    for (const declined of [[], ['--help'], ['-h', 'x'], ['--k'], ['--k', '--json', 'x'], ['--json=1', 'x'], ['--k', '1', '--k', '2', 'x'], ['--unknown', 'x'], ['--', '-x'], ['--json']]) {
      expect(parseSearchFlags(declined), declined.join(' ')).toBeUndefined();
    }
  });

  it('prints what the full command line prints, errors included', async () => {
    await using repo = tempRepo({
      files: {
        'src/http/retry.ts': '// When the server is busy, wait longer between attempts.\nexport function backoffDelay(attempt: number): number {\n  return 250 * 2 ** attempt;\n}\n',
        'src/checkout.ts': "import { backoffDelay } from './http/retry.js';\nexport function checkout(): number {\n  return backoffDelay(2);\n}\n",
      },
    });
    // A log file to open sends the command through main(), which owns that.
    const viaMain = { ...repo.env, ASSIST_LOG__FILE: `${repo.home}/assist.log` };
    for (const args of [['search', '--json', '--k', '2', 'wait', 'longer', 'when', 'busy'], ['search', '--path', 'src/http', 'backoff'], ['search', '--k', '0', 'x']]) {
      const fast = await runCli(args, { cwd: repo.dir, env: repo.env });
      const full = await runCli(args, { cwd: repo.dir, env: viaMain });
      expect(fast, args.join(' ')).toEqual(full);
    }
    const hits = JSON.parse((await runCli(['search', '--json', 'wait longer when busy'], { cwd: repo.dir, env: repo.env })).stdout) as { file: string }[];
    expect(hits[0]?.file).toBe('src/http/retry.ts');
  });
});
