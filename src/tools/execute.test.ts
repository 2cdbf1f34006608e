import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import { estimateTextTokens } from '../llm/estimate.js';
import { checkArgs, objectSchema } from './args.js';
import { capHead, capTail } from './cap.js';
import { executeToolCall } from './execute.js';
import { allTools, readOnlyTools, toolSpecs } from './registry.js';

const call = (name: string, args: string) => ({ id: 'call_1', name, arguments: args });

describe('executeToolCall', () => {
  it('runs a call with valid arguments', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'hello\n' } });
    const ctx = await toolContext(repo);
    expect(await executeToolCall(call('read_file', '{"path":"a.txt"}'), allTools(), ctx)).toMatchObject({ kind: 'result', ok: true, text: '1\thello' });
  });

  it('answers invalid JSON, a non-object, an unknown tool and wrong types with one sentence to fix it', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'hello\n' } });
    const ctx = await toolContext(repo);
    const cases: Array<[string, string, string]> = [
      ['read_file', '{"path": "a.txt"', 'The arguments of read_file are not valid JSON ('],
      ['read_file', '["a.txt"]', 'The arguments of read_file must be a JSON object, got an array.'],
      ['read_file', '"a.txt"', 'The arguments of read_file must be a JSON object, got a string.'],
      ['cat', '{}', 'There is no tool named "cat". The tools are: read_file, list_files, search, repo_map, edit_file, write_file, run_command, run_tests, semantic_search.'],
      ['read_file', '{"path": 42}', 'Invalid arguments for read_file: "path" must be a string, got an integer (42).'],
      ['read_file', '{"path": "a.txt", "offset": "10"}', 'Invalid arguments for read_file: "offset" must be an integer, got a string ("10").'],
      ['read_file', '{"path": "a.txt", "offset": 0}', 'Invalid arguments for read_file: "offset" must be at least 1, got 0.'],
      ['read_file', '{"file": "a.txt"}', 'Invalid arguments for read_file: unknown argument "file" (the arguments are path, offset, limit); missing required argument "path" (a string).'],
      ['search', '{"pattern": "x", "ignore_case": "yes"}', 'Invalid arguments for search: "ignore_case" must be a boolean, got a string ("yes").'],
      ['repo_map', '{"files": ["a.ts", 3]}', 'Invalid arguments for repo_map: "files" must be an array of strings; item 1 is an integer.'],
      ['run_tests', '{"verbose": true}', 'Invalid arguments for run_tests: unknown argument "verbose" (the arguments are path, all).'],
    ];
    for (const [name, args, message] of cases) {
      const out = await executeToolCall(call(name, args), allTools(), ctx);
      expect(out, `${name} ${args}`).toMatchObject({ kind: 'result', ok: false });
      expect(out.kind === 'result' && out.text, `${name} ${args}`).toContain(message);
    }
    expect(ctx.auditRecords()).toEqual([]);
  });

  it('takes empty arguments as {} and null for an optional argument as absent', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'x\n' } });
    const ctx = await toolContext(repo);
    expect(await executeToolCall(call('list_files', ''), allTools(), ctx)).toMatchObject({ ok: true, text: 'a.txt' });
    expect(await executeToolCall(call('read_file', '{"path":"a.txt","offset":null,"limit":null}'), allTools(), ctx)).toMatchObject({ ok: true, text: '1\tx' });
  });

  it('offers only the tools it is given', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'x\n' } });
    const ctx = await toolContext(repo);
    const out = await executeToolCall(call('write_file', '{"path":"b.txt","content":"y"}'), readOnlyTools(), ctx);
    expect(out).toMatchObject({ ok: false, text: 'There is no tool named "write_file". The tools are: read_file, list_files, search, repo_map, semantic_search.' });
    expect(ctx.pending.size).toBe(0);
  });

  it('turns a tool that throws into an error result, and throws when the signal is aborted', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'x\n' } });
    const ctx = await toolContext(repo, {
      repoMap: () => Promise.reject(new Error('tag cache is corrupt')),
    });
    expect(await executeToolCall(call('repo_map', '{}'), allTools(), ctx)).toMatchObject({ ok: false, text: 'repo_map failed: tag cache is corrupt' });
    const controller = new AbortController();
    controller.abort();
    const aborted = await toolContext(repo, { signal: controller.signal });
    await expect(executeToolCall(call('read_file', '{"path":"a.txt"}'), allTools(), aborted)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('repo_map passes the query and clamps the size', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'x\n' } });
    const seen: unknown[] = [];
    const ctx = await toolContext(repo, {
      repoMap: (options) => {
        seen.push(options);
        return Promise.resolve('src/a.ts:\n│function applyDiscount()\n');
      },
    });
    expect(await executeToolCall(call('repo_map', '{"query":"discount","tokens":100000}'), allTools(), ctx)).toMatchObject({ ok: true, status: 'map (10 tokens)' });
    await executeToolCall(call('repo_map', '{"files":["src/a.ts"],"tokens":1}'), allTools(), ctx);
    await executeToolCall(call('repo_map', '{}'), allTools(), ctx);
    expect(seen).toEqual([{ query: 'discount', tokens: 8192 }, { files: ['src/a.ts'], tokens: 256 }, { tokens: 2048 }]);
    const without = await toolContext(repo);
    expect(await executeToolCall(call('repo_map', '{}'), allTools(), without)).toMatchObject({ ok: false, status: 'map: not available' });
  });
});

describe('registry', () => {
  it('lists the tools of DESIGN §4 in a stable order, with flat object schemas', () => {
    const specs = toolSpecs(allTools());
    expect(specs.map((s) => s.name)).toEqual(['read_file', 'list_files', 'search', 'repo_map', 'edit_file', 'write_file', 'run_command', 'run_tests', 'semantic_search']);
    expect(toolSpecs(readOnlyTools()).map((s) => s.name)).toEqual(['read_file', 'list_files', 'search', 'repo_map', 'semantic_search']);
    for (const spec of specs) {
      expect(spec.parameters).toMatchObject({ type: 'object', additionalProperties: false });
      expect(spec.description.length).toBeLessThan(700);
      expect(Object.keys(spec)).toEqual(['name', 'description', 'parameters']);
    }
    expect(JSON.stringify(toolSpecs(allTools()))).toBe(JSON.stringify(specs));
  });
});

describe('checkArgs', () => {
  const schema = objectSchema({ n: { type: 'integer', description: '', minimum: 1, maximum: 5 }, s: { type: 'string', description: '' } }, ['s']);
  it('accepts what the schema allows and refuses the rest', () => {
    expect(checkArgs('t', schema, { s: 'x', n: 5 })).toEqual({ ok: true, args: { s: 'x', n: 5 } });
    expect(checkArgs('t', schema, { s: 'x', n: 6 })).toMatchObject({ ok: false, message: 'Invalid arguments for t: "n" must be at most 5, got 6.' });
    expect(checkArgs('t', schema, { s: 'x', n: 1.5 })).toMatchObject({ ok: false, message: 'Invalid arguments for t: "n" must be an integer, got a number (1.5).' });
    expect(checkArgs('t', schema, { s: null })).toMatchObject({ ok: false, message: 'Invalid arguments for t: "s" must be a string, got null (null).' });
    expect(checkArgs('t', schema, null)).toMatchObject({ ok: false, message: 'The arguments of t must be a JSON object, got null.' });
    expect(checkArgs('t', schema, JSON.parse('{"s":"x","__proto__":{"a":1}}'))).toMatchObject({ ok: false, message: expect.stringContaining('unknown argument "__proto__"') });
  });
});

describe('caps', () => {
  it('capHead keeps whole lines from the start within the budget and counts the rest', () => {
    const text = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n');
    const capped = capHead(text, 100, 'narrow the search or read with offset/limit');
    expect(estimateTextTokens(capped)).toBeLessThanOrEqual(100);
    const lines = capped.split('\n');
    expect(lines[0]).toBe('line 0');
    const shown = lines.length - 1;
    expect(lines.at(-1)).toBe(`[… ${(2000 - shown).toLocaleString('en-US')} more lines cut: narrow the search or read with offset/limit]`);
    expect(lines[shown - 1]).toBe(`line ${shown - 1}`);
    expect(capHead('short', 100)).toBe('short');
  });

  it('capTail keeps the end from a line start', () => {
    const text = Array.from({ length: 1000 }, (_, i) => `row ${i}`).join('\n');
    const capped = capTail(text, 200);
    expect(capped.length).toBeLessThanOrEqual(200);
    expect(capped.endsWith('row 999')).toBe(true);
    expect(capped).toMatch(/^\[… [\d,]+ earlier lines cut\]\nrow \d+\n/);
  });
});
