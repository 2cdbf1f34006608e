import { describe, expect, it } from 'vitest';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { startFakeLlm, reply } from '../fake-llm/index.js';

const FILES = {
  'src/billing/invoice.ts': 'export interface Invoice {\n  id: string;\n  total: number;\n}\n\nexport function computeInvoiceTotal(lines: number[]): number {\n  return lines.reduce((a, b) => a + b, 0);\n}\n',
  'src/billing/tax.ts': "import { computeInvoiceTotal } from './invoice.js';\n\nexport function applyTax(lines: number[], rate: number): number {\n  return computeInvoiceTotal(lines) * (1 + rate);\n}\n",
  'src/app.ts': "import { applyTax } from './billing/tax.js';\n\nexport function main(): void {\n  console.log(applyTax([1, 2], 0.2));\n}\n",
  'README.md': '# shop\n',
};

describe('the repo map in the conversation', () => {
  it("the model's request carries the map, and (hybrid) the chunks the search finds for the request", async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: FILES });
    try {
      server.enqueue(reply.text('The tax is applied in applyTax.'));
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '1024' };
      const r = await runCli(['run', '-m', 'where is computeInvoiceTotal used for tax?'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(5);
      const body = JSON.stringify(server.requests[0]!.body);
      expect(body).toContain('Repository map');
      expect(body).toContain('src/billing/invoice.ts');
      expect(body).toContain('computeInvoiceTotal');
      // No file named: the search index finds the chunk that uses it for tax (issue 26).
      expect(body).toContain('Relevant parts of other files');
      expect(body).toContain('return computeInvoiceTotal(lines) * (1 + rate);');

      server.enqueue(reply.text('There.'));
      const named = await runCli(['run', '-m', 'explain applyTax in src/billing/tax.ts'], { cwd: repo.dir, env });
      expect(named.code, named.stderr).toBe(5);
      const body2 = JSON.stringify(server.requests[1]!.body);
      expect(body2).toContain('Relevant parts of other files');
      expect(body2).toContain('return computeInvoiceTotal(lines) * (1 + rate);');

      server.enqueue(reply.text('Here.'));
      const chunks = await runCli(['run', '-m', 'where is computeInvoiceTotal used for tax?'], { cwd: repo.dir, env: { ...env, ASSIST_CONTEXT__STRATEGY: 'chunks' } });
      expect(chunks.code, chunks.stderr).toBe(5);
      expect(JSON.stringify(server.requests[2]!.body)).toContain('Relevant parts of other files');
    } finally {
      repo.cleanup();
    }
  });

  it("with context.strategy = summary, the request carries the other files' summaries (stale ones marked)", async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: FILES });
    try {
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '1024', ASSIST_CONTEXT__STRATEGY: 'summary' };
      const refresh = await runCli(['summaries', 'refresh'], { cwd: repo.dir, env });
      expect(refresh.code, refresh.stderr).toBe(0);
      repo.write('src/billing/tax.ts', FILES['src/billing/tax.ts'] + 'export const VAT = 0.2;\n');
      server.enqueue(reply.text('It is in tax.ts.'));
      const r = await runCli(['run', '-m', 'where is applyTax defined?'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(5);
      const body = JSON.stringify(server.requests[0]!.body);
      expect(body).toContain('Summaries of other files');
      expect(body).toContain('src/billing/tax.ts (summary may be out of date)');
      expect(body).not.toContain('Relevant parts of other files');
    } finally {
      repo.cleanup();
    }
  });

  it('/map shows the map in the chat', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: FILES });
    try {
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1' };
      const r = await runCli(['chat'], { cwd: repo.dir, env, input: '/map\n' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('src/billing/tax.ts');
      expect(r.stdout).toContain('applyTax');
      expect(server.requests).toHaveLength(0);
    } finally {
      repo.cleanup();
    }
  });
});
