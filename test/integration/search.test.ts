import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm } from '../fake-llm/index.js';

const FILES = {
  'src/reporters/github-actions.ts':
    'export class GithubActionsReporter {\n  /** The job summary opens with a header naming the run. */\n  summaryHeader(title: string): string {\n    return `## ${title}`;\n  }\n}\n',
  'src/reporters/index.ts': "import { GithubActionsReporter } from './github-actions';\n\nexport const reporters = { github: GithubActionsReporter };\n",
  'src/http/retry.ts': 'export function backoffDelay(attempt: number): number {\n  return 250 * 2 ** attempt;\n}\n',
  'README.md': '# tool\n',
};

interface Hit {
  file: string;
  start: number;
  end: number;
  score: number;
  text: string;
  why: { lexical?: number; graph?: number; related?: string };
  callers?: Hit[];
}

describe('assist search', () => {
  it('prints ranked chunks with path:start-end, score and why, then their text; --json gives them as objects', async () => {
    await using repo = tempRepo({ files: FILES });
    const r = await runCli(['search', 'display the GitHub Actions summary header'], { cwd: repo.dir, env: repo.env });
    expect(r.code, r.stderr).toBe(0);
    const [first] = r.stdout.split('\n\n');
    expect(first).toMatch(/^src\/reporters\/github-actions\.ts:1-6 {2}\d\.\d{4} {2}\(lexical #1, graph #\d\)\nexport class GithubActionsReporter \{/);

    // The reporter's user does not match the request: it comes attached to the definition it calls.
    const json = await runCli(['search', '--json', '--k', '2', 'the job summary opens with a header naming the run'], { cwd: repo.dir, env: repo.env });
    expect(json.code, json.stderr).toBe(0);
    const hits = JSON.parse(json.stdout) as Hit[];
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatchObject({ file: 'src/reporters/github-actions.ts', start: 1, end: 6, text: FILES['src/reporters/github-actions.ts'].trimEnd() });
    expect(hits[0]!.score).toBeGreaterThan(0);
    expect(hits[0]!.callers).toEqual([expect.objectContaining({ file: 'src/reporters/index.ts', start: 1, end: 3, why: expect.objectContaining({ related: 'calls GithubActionsReporter' }) })]);
    const shown = await runCli(['search', 'the job summary opens with a header naming the run'], { cwd: repo.dir, env: repo.env });
    expect(shown.stdout).toContain("\n  ↳ src/reporters/index.ts:1-3  (calls GithubActionsReporter, graph #");
  });

  it('limits to --path from a subdirectory, as git paths go, and says when nothing matches', async () => {
    await using repo = tempRepo({ files: FILES });
    mkdirSync(join(repo.dir, 'src', 'http'), { recursive: true });
    const scoped = await runCli(['search', '--json', '--path', '.', 'summary header attempt delay'], { cwd: join(repo.dir, 'src', 'http'), env: repo.env });
    expect(scoped.code, scoped.stderr).toBe(0);
    expect((JSON.parse(scoped.stdout) as Hit[]).map((h) => h.file)).toEqual(['src/http/retry.ts']);
    const none = await runCli(['search', 'zebra giraffe'], { cwd: repo.dir, env: repo.env });
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toContain('no chunks match');
  });

  it('/search in a chat prints the best chunks, and sends nothing to the model', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1' };
    const r = await runCli(['chat'], { cwd: repo.dir, env, input: '/search the job summary opens with a header\n/search\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('src/reporters/github-actions.ts:1-6  (lexical #1');
    expect(r.stdout).toContain('summaryHeader(title: string): string {');
    expect(r.stderr).toContain('usage: /search QUERY');
    expect(server.requests).toHaveLength(0);
  });

  it('refuses a bad --k, a missing --path and an empty query (exit 2), and no longer says it is not built', async () => {
    await using repo = tempRepo({ files: FILES });
    const badK = await runCli(['search', '--k', '0', 'x'], { cwd: repo.dir, env: repo.env });
    expect(badK.code).toBe(2);
    expect(badK.stderr).toContain("--k must be a whole number from 1 to 200, not '0'");
    const missing = await runCli(['search', '--path', 'nope', 'x'], { cwd: repo.dir, env: repo.env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--path nope: no such file or folder');
    const empty = await runCli(['search', ' '], { cwd: repo.dir, env: repo.env });
    expect(empty.code).toBe(2);
    const bare = await runCli(['search'], { cwd: repo.dir, env: repo.env });
    expect(bare.code).toBe(2);
    expect(bare.stderr).not.toContain('not built');
  });
});
