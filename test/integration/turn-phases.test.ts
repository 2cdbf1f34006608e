import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFakeLlm, reply } from '../fake-llm/index.js';
import { tempRepo } from '../helpers/git-repo.js';
import { runCli } from '../helpers/run-cli.js';

interface PhaseLine {
  exitAt: number;
  cpuMs: number;
  phases: Record<string, { ms: number; count: number }>;
  marks: Array<{ name: string; at: number }>;
}

// bench/turn/bench.mjs reads these names to say where a turn goes (docs/benchmarks.md).
describe('ASSIST_PHASES of one `assist run` turn', () => {
  it('records the turn phase by phase, the parts inside the phase that holds them', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'target.txt': 'state 0\n', 'src/a.ts': 'export const a = 1;\n' } });
    try {
      server.enqueue(reply.edits([{ path: 'target.txt', search: 'state 0\n', replace: 'state 1\n' }]));
      const file = join(repo.home, 'phases.jsonl');
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_PHASES: file };
      const r = await runCli(['run', '--yes', '-m', 'bump the state'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(readFileSync(join(repo.dir, 'target.txt'), 'utf8')).toBe('state 1\n');
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]!) as PhaseLine;
      const ms = (name: string): number => {
        expect(line.phases, name).toHaveProperty(name);
        return line.phases[name]!.ms;
      };
      for (const name of ['turn.prompt', 'prompt.tools', 'prompt.instructions', 'prompt.map', 'prompt.outside', 'prompt.fit', 'step.model', 'step.chain', 'step.text-edits', 'edits.check', 'edits.review', 'edits.apply-batch']) {
        expect(ms(name)).toBeGreaterThanOrEqual(0);
      }
      // Parts of a phase are inside it: their sum cannot exceed it (0.1 ms for each figure's rounding to 0.01).
      expect(ms('prompt.tools') + ms('prompt.instructions') + ms('prompt.fit')).toBeLessThanOrEqual(ms('turn.prompt') + 0.1);
      expect(ms('edits.check') + ms('edits.review') + ms('edits.apply-batch')).toBeLessThanOrEqual(ms('step.text-edits') + 0.1);
      // The turn's own marks, in order (the map the turn builds notes its steps too: map.*, parser.*).
      expect(line.marks.map((m) => m.name).filter((name) => !/^(map|parser|tokenizer)\./.test(name))).toEqual(['cli.configured', 'session.opened', 'turn.done', 'session.closed']);
      expect(line.cpuMs).toBeGreaterThan(0);
    } finally {
      repo.cleanup();
    }
  });

  it('a tool loop turn phases every step end to end: step.after-reply between a reply and the next step holds its tools', async () => {
    await using server = await startFakeLlm();
    const repo = tempRepo({ files: { 'src/a.ts': 'export const a = 1;\n', 'src/b.ts': 'export const b = a;\n' } });
    try {
      server.enqueue(
        { kind: 'text', text: '', toolCalls: [{ name: 'search', arguments: { pattern: 'export const' } }] },
        { kind: 'text', text: '', toolCalls: [{ name: 'read_file', arguments: { path: 'src/a.ts' } }] },
        { kind: 'text', text: 'a is 1.' },
      );
      const file = join(repo.home, 'phases.jsonl');
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_PHASES: file };
      const r = await runCli(['run', '--yes', '--json', '-m', 'what is a?'], { cwd: repo.dir, env });
      // `run` without an edit exits 5 (nothing changed): the turn itself ran its three steps.
      expect((JSON.parse(r.stdout) as { steps: number }).steps).toBe(3);
      const line = JSON.parse(readFileSync(file, 'utf8').split('\n').filter(Boolean)[0]!) as PhaseLine;
      const p = line.phases;
      // One gap between each two requests, none after the last reply (the turn's end is not a step's).
      expect(p['step.after-reply']?.count).toBe(2);
      expect(p['step.fit']?.count).toBe(3);
      expect(p['step.model']?.count).toBe(3);
      // The tools run inside the gap: their time cannot exceed it (0.1 ms for the rounding of each figure).
      const tools = (p['tool.search']?.ms ?? -1) + (p['tool.read_file']?.ms ?? -1) + (p['step.tool-context']?.ms ?? -1);
      expect(tools).toBeGreaterThan(0);
      expect(tools).toBeLessThanOrEqual(p['step.after-reply']!.ms + 0.3);
    } finally {
      repo.cleanup();
    }
  });

  it("a new request's map and its chunks count with one tokenizer load", async () => {
    await using server = await startFakeLlm();
    const files: Record<string, string> = {};
    for (let i = 0; i < 12; i++) files[`src/m${i}.ts`] = `export function computeInvoiceTotal${i}(lines: number[]): number {\n  return lines.reduce((sum, line) => sum + line * ${i}, 0);\n}\n`;
    const repo = tempRepo({ files });
    try {
      server.defaultReply = reply.text('Nothing to change.');
      const file = join(repo.home, 'phases.jsonl');
      const env = { ...repo.env, ...server.env(), ASSIST_MODEL: 'openai/gpt-4.1', ASSIST_PHASES: file };
      // The first run builds the map, the tags and the search index.
      expect((await runCli(['run', '-m', 'bump the state'], { cwd: repo.dir, env })).code).toBe(5);
      // A request unlike the last: the map starts counting its sections, and the search finds chunks to fit.
      const r = await runCli(['run', '-m', 'how is computeInvoiceTotal3 computed?'], { cwd: repo.dir, env });
      expect(r.code, r.stderr).toBe(5);
      expect(JSON.stringify(server.requests.at(-1)!.messages)).toContain('lines.reduce((sum, line) => sum + line * 3');
      const line = JSON.parse(readFileSync(file, 'utf8').split('\n').filter(Boolean).at(-1)!) as PhaseLine;
      expect(line.marks.filter((m) => m.name === 'tokenizer.loaded')).toHaveLength(1);
      // Loaded on this thread from the table the build writes: no worker thread for it.
      expect(line.marks.filter((m) => m.name === 'tokenizer.worker')).toHaveLength(0);
    } finally {
      repo.cleanup();
    }
  });
});
