import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';
import { openStore } from '../../src/git/index.js';
import { startFakeLlm, reply, type FakeLlmServer, type RecordedRequest } from '../fake-llm/index.js';
import type { Scripted } from '../fake-llm/types.js';
import { estimateTokens, flattenContent } from '../fake-llm/estimate.js';

// invoice.ts is large and never named in the conversation; tax.ts is small and edited in the first turn.
const body = Array.from({ length: 120 }, (_, i) => `  const step${i} = lines.length > ${i} ? lines[${i}] * ${i + 1} : 0; // rounding rule ${i}\n  total += step${i};\n`).join('');
const FILES = {
  'src/billing/invoice.ts': `export function computeInvoiceTotal(lines: number[]): number {\n  let total = 0;\n${body}  return total;\n}\n`,
  'src/billing/tax.ts': "import { computeInvoiceTotal } from './invoice.js';\n\nexport function applyTax(lines: number[], rate: number): number {\n  return computeInvoiceTotal(lines) + rate;\n}\n",
  'docs/notes.md': `# Notes\n\n${'The tax is a rate applied on the invoice total, never added to it.\n'.repeat(150)}`,
};

const call = (name: string, args: Record<string, unknown>): Scripted => ({ kind: 'text', text: '', toolCalls: [{ name, arguments: args }] });
const FIRST = 'read docs/notes.md and fix applyTax in src/billing/tax.ts';
const LAST = 'where is computeInvoiceTotal defined, and how is it used for tax?';
const STORY = `Here is the history of the tax rules. ${'Long ago the rate was added, later it was multiplied, and the rounding changed twice. '.repeat(40)}`;

async function converse(server: FakeLlmServer, repo: TempRepo, window: number, logFile: string, middle = false): Promise<{ stderr: string; last: RecordedRequest }> {
  mkdirSync(join(repo.home, '.config', 'assist'), { recursive: true });
  writeFileSync(join(repo.home, '.config', 'assist', 'config.toml'), `[models."openai/gpt-4.1"]\ncontext_window = ${window}\nmax_output = 512\n`);
  const summary = (q: RecordedRequest): boolean => JSON.stringify(q.body).includes('You summarise a conversation');
  const answers = [...(middle ? [STORY] : []), 'In src/billing/invoice.ts.'];
  const answer = (q: RecordedRequest) => (summary(q) ? reply.text('SUMMARY: applyTax was fixed.') : reply.text(answers.shift() ?? 'Done.'));
  server.enqueue(
    call('read_file', { path: 'docs/notes.md' }),
    call('edit_file', { path: 'src/billing/tax.ts', search: '  return computeInvoiceTotal(lines) + rate;\n', replace: '  return computeInvoiceTotal(lines) * (1 + rate);\n' }),
    reply.text('Fixed: the rate multiplies the total.'),
    answer,
    answer,
    answer,
    answer,
  );
  const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_CONTEXT__MAP_TOKENS: '8192' };
  const input = [FIRST, ...(middle ? ['tell me the history of the tax rules'] : []), LAST].join('\n') + '\n';
  const r = await runCli(['--log-file', logFile, 'chat', '--yes'], { cwd: repo.dir, env, input, timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  const answered = server.requests.filter((q) => !summary(q));
  return { stderr: r.stderr, last: answered[answered.length - 1]! };
}

describe('compression order', () => {
  it('when dropping old tool results is not enough, the least used context goes before the recently edited file, and before any history is summarised', async () => {
    // The same conversation in a wide window gives the full prompt's size.
    await using wide = await startFakeLlm();
    await using first = tempRepo({ files: FILES });
    const full = await converse(wide, first, 200_000, join(first.home, 'wide.log'));
    expect(full.stderr).not.toContain('left out context');
    const fullText = JSON.stringify(full.last.body);
    expect(fullText).toContain('src/billing/invoice.ts (lines');
    expect(fullText).toContain('src/billing/tax.ts (lines');
    // What the old read_file result and invoice.ts's chunks weigh in that request.
    const messages = (full.last.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    const notes = estimateTokens(flattenContent(messages.find((m) => m.role === 'tool' && JSON.stringify(m.content).includes('# Notes'))?.content));
    const context = flattenContent(messages[1]!.content);
    const invoice = estimateTokens(context.slice(context.indexOf('src/billing/invoice.ts (lines'), context.indexOf('src/billing/tax.ts (lines')));
    expect(notes).toBeGreaterThan(1000);
    expect(invoice).toBeGreaterThan(300);

    // A window whose threshold is passed by about half of invoice.ts once the old read_file result is gone.
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const limit = full.last.promptTokens - notes - invoice / 2;
    const window = Math.ceil(limit / 0.8);
    const log = join(repo.home, 'assist.log');
    const r = await converse(server, repo, window, log);
    expect(r.stderr).toMatch(/left out context that served least to fit the \d+-token window: map of src\/billing\/invoice\.ts, chunks of src\/billing\/invoice\.ts\n/);
    expect(r.stderr).not.toContain('compressing');
    const sent = JSON.stringify(r.last.body);
    expect(sent).toContain('[result dropped to fit the context window');
    expect(sent).not.toContain('src/billing/invoice.ts (lines');
    expect(sent).toContain('src/billing/tax.ts (lines');
    expect(sent).not.toContain('SUMMARY:');
    const entries = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { msg?: string; event?: string; tier?: string; dropped?: string[] });
    const compressed = entries.filter((e) => (e.msg ?? e.event) === 'context.compressed');
    // The turn records only what was sent: the effectiveness figures never credit what was left out.
    const store = await openStore({ cwd: repo.dir, env: repo.env, command: 'test' });
    try {
      const [session] = await store.listSessions();
      const asked = (await store.replay(session!.id)).filter((e) => e.type === 'message' && e.text === LAST);
      const recorded = asked[0]?.type === 'message' ? asked[0].context : undefined;
      expect(recorded?.chunks.length).toBeGreaterThan(0);
      expect(recorded?.chunks.every((c) => c.startsWith('src/billing/tax.ts:'))).toBe(true);
      expect(recorded?.map).not.toContain('src/billing/invoice.ts');
    } finally {
      store.close();
    }
    // Logged per request (the first turn's may need it too), never reaching tax.ts nor the history.
    expect(compressed.length).toBeGreaterThan(0);
    for (const entry of compressed) expect(entry).toMatchObject({ tier: 'context', dropped: ['map of src/billing/invoice.ts', 'chunks of src/billing/invoice.ts'] });
  });

  it('when even all the outside context is not enough, the recently edited file goes last, and only then is history summarised', async () => {
    await using wide = await startFakeLlm();
    await using first = tempRepo({ files: FILES });
    const full = await converse(wide, first, 200_000, join(first.home, 'wide.log'), true);
    const messages = (full.last.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    const notes = estimateTokens(flattenContent(messages.find((m) => m.role === 'tool' && JSON.stringify(m.content).includes('# Notes'))?.content));
    const context = estimateTokens(flattenContent(messages[1]!.content));
    const story = estimateTokens(STORY);

    // Over by about half the story once the old result and every piece of outside context are gone.
    await using server = await startFakeLlm();
    await using repo = tempRepo({ files: FILES });
    const window = Math.ceil((full.last.promptTokens - notes - context - story / 2) / 0.8);
    const log = join(repo.home, 'assist.log');
    const r = await converse(server, repo, window, log, true);
    expect(r.stderr).toMatch(/left out context that served least to fit the \d+-token window: map of src\/billing\/invoice\.ts, chunks of src\/billing\/invoice\.ts, map of src\/billing\/tax\.ts, chunks of src\/billing\/tax\.ts\ncompressing \d+ earlier exchanges?/);
    const entries = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event?: string; tier?: string; dropped?: string[] });
    const compressed = entries.filter((e) => e.event === 'context.compressed');
    const lastContext = compressed.map((e) => e.tier).lastIndexOf('context');
    expect(compressed[lastContext]!.dropped).toEqual(['map of src/billing/invoice.ts', 'chunks of src/billing/invoice.ts', 'map of src/billing/tax.ts', 'chunks of src/billing/tax.ts']);
    expect(compressed[lastContext + 1]).toMatchObject({ tier: 'history' });
    expect(JSON.stringify(r.last.body)).not.toContain('src/billing/tax.ts (lines');
  });
});
