import { describe, expect, it } from 'vitest';
import { fitToolNames, TOOL_NAME_RULE } from './names.js';

describe('fitToolNames', () => {
  it('keeps names that fit as mcp__server__tool', () => {
    const names = fitToolNames([
      { server: 'github', tool: 'create_issue' },
      { server: 'jira', tool: 'search-issues' },
    ]);
    expect([...names.values()]).toEqual(['mcp__github__create_issue', 'mcp__jira__search-issues']);
  });

  it('replaces characters outside [a-zA-Z0-9_-] and cuts long names to 64, each with a suffix that tells it apart', () => {
    const names = fitToolNames([
      { server: 'my.server', tool: 'files/read' },
      { server: 'docs', tool: 'x'.repeat(80) },
    ]);
    const dotted = names.get('my.server\0files/read')!;
    const long = names.get(`docs\0${'x'.repeat(80)}`)!;
    expect(dotted).toMatch(/^mcp__my_server__files_read_[0-9a-f]{8}$/);
    expect(long).toHaveLength(64);
    expect(long).toMatch(/^mcp__docs__x+_[0-9a-f]{8}$/);
    for (const name of names.values()) expect(name).toMatch(TOOL_NAME_RULE);
  });

  it('resolves collisions the same way whatever order the servers answered in', () => {
    const tools = [
      { server: 'a.b', tool: 'run' },
      { server: 'a_b', tool: 'run' },
      { server: 'a', tool: 'b__run' },
      { server: 'a__b', tool: 'run' },
    ];
    const one = fitToolNames(tools);
    const two = fitToolNames([...tools].reverse());
    expect(new Map([...two].sort())).toEqual(new Map([...one].sort()));
    expect(new Set(one.values()).size).toBe(4);
    // Exact names are never displaced by mangled ones: `a_b/run` keeps its plain name.
    expect(one.get('a_b\0run')).toBe('mcp__a_b__run');
    expect(one.get('a.b\0run')).toMatch(/^mcp__a_b__run_[0-9a-f]{8}$/);
    for (const name of one.values()) expect(name).toMatch(TOOL_NAME_RULE);
  });
});
