import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, type FakeLlmServer } from '../fake-llm/index.js';
import type { RecordedRequest, Scripted } from '../fake-llm/types.js';

// A hub every file imports (first by the graph alone), and a reporter that only the request's
// words find: it defines nothing the request names.
const FILES: Record<string, string> = {
  'src/core/task.ts': 'export interface Task {\n  id: string;\n  name: string;\n}\nexport function createTask(id: string, name: string): Task {\n  return { id, name };\n}\n',
  'src/reporters/github-actions.ts':
    "import { createTask } from '../core/task';\n\n// Writes the summary header GitHub Actions shows for a run.\nexport function writeRunSummary(title: string): string {\n  const header = `### ${title}`;\n  return `${header}\\n${createTask('x', title).name}`;\n}\n",
  'README.md': '# runner\n',
};
for (let i = 0; i < 6; i++) {
  FILES[`src/feature${i}.ts`] = `import { createTask, type Task } from './core/task';\n\nexport function feature${i}(): Task {\n  return createTask('${i}', 'feature ${i}');\n}\n`;
}

const call = (name: string, args: Record<string, unknown>): Scripted => ({ kind: 'text', text: '', toolCalls: [{ name, arguments: args }] });

function envFor(repo: TempRepo, server: FakeLlmServer): NodeJS.ProcessEnv {
  return { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '256' };
}

function resultsIn(request: RecordedRequest): string[] {
  return request.messages.flatMap((m) => (m.toolResults ?? []).map((r) => r.content));
}

/** The files of a rendered map, in its order (a file's line ends with `:`). */
function mapFiles(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /^\S.*:$/.test(l))
    .map((l) => l.slice(0, -1));
}

describe('the repo_map tool', () => {
  it('ranks by the same retrieval as `map --query`: a request in words puts the file it is about first', async () => {
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const env = envFor(repo, server);
    const query = 'show the test name in the GitHub Actions summary header';
    server.enqueue(call('repo_map', { query, tokens: 256 }), call('repo_map', { tokens: 256 }), { kind: 'text', text: 'src/reporters/github-actions.ts:4 writes it.' });
    const r = await runCli(['explain', '--json', 'where is the run summary written?'], { cwd: repo.dir, env });
    expect(r.code, r.stderr).toBe(0);

    const withQuery = mapFiles(resultsIn(server.requests[1]!).at(-1)!);
    const without = mapFiles(resultsIn(server.requests[2]!).at(-1)!);
    // The graph alone puts the hub first; the request's words put the reporter first.
    expect(without[0]).toBe('src/core/task.ts');
    expect(withQuery[0]).toBe('src/reporters/github-actions.ts');

    const cli = await runCli(['map', '--json', '--tokens', '256', '--query', query], { cwd: repo.dir, env });
    expect(cli.code, cli.stderr).toBe(0);
    expect((JSON.parse(cli.stdout) as { files: string[] }).files).toEqual(withQuery);
  });
});
