import { describe, expect, it } from 'vitest';
import { allTools } from '../tools/index.js';
import type { Tool } from '../tools/types.js';
import { planFiles, planModeTools, planSystemPrompt } from './plan-mode.js';

describe('plan mode', () => {
  it('offers the five read-only tools of DESIGN §6b, in their order, and drops edit, write, command, test and MCP tools', () => {
    const mcp = { spec: { name: 'mcp__db__query', description: '', parameters: {} }, kind: 'mcp', run: async () => ({ kind: 'result', ok: true, text: '', status: '' }) } as unknown as Tool;
    const names = planModeTools([...allTools(), mcp]).map((t) => t.spec.name);
    expect(names).toEqual(['read_file', 'list_files', 'search', 'repo_map', 'semantic_search']);
  });

  it('a read-kind tool that is not on the list is not offered', () => {
    const extra = { ...allTools()[0]!, spec: { ...allTools()[0]!.spec, name: 'fetch_url' } } as unknown as Tool;
    expect(planModeTools([extra]).map((t) => t.spec.name)).toEqual([]);
  });

  it('the files a plan names: tracked ones (by path or a unique name), then new paths; never outside the repository', () => {
    const tracked = ['src/lib/pricing.ts', 'src/cart.ts', 'README.md', 'a/index.ts', 'b/index.ts'];
    const plan = '1. Change pricing.ts.\n2. Update src/cart.ts and index.ts.\n3. Add test/pricing.test.ts.\n4. Not ../etc/passwd.x nor /etc/hosts.conf.';
    expect(planFiles(plan, tracked)).toEqual(['src/lib/pricing.ts', 'src/cart.ts', 'test/pricing.test.ts']);
  });

  it('the system prompt forbids edits and asks for a numbered plan naming files', () => {
    const prompt = planSystemPrompt({ tools: true });
    expect(prompt).toMatch(/plan mode/);
    expect(prompt).toMatch(/numbered list of steps, each naming the files/);
    expect(planSystemPrompt({ tools: false })).not.toMatch(/Use the tools/);
  });
});
