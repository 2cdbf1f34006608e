import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { chunkFile, chunkSource, chunkUnit, chunksNeedCounting, countChunkUnits, fitChunks, selectChunks, type Chunk } from './chunks.js';
import { additive } from './render.js';
import { countTokens, tokenCounter, type TokenCounter } from './tokens.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'map');

describe('chunks', () => {
  it('keeps whole definitions when they fit and covers every line once', async () => {
    const source = readFileSync(join(fixtures, 'http-client.ts'), 'utf8');
    const chunks = await chunkFile('http-client.ts', source, { maxTokens: 120 });
    expect(chunks.length).toBeGreaterThan(2);
    // Every non-empty line is in exactly one chunk, in order.
    const covered = chunks.flatMap((c) => Array.from({ length: c.endLine - c.startLine + 1 }, (_, i) => c.startLine + i));
    expect(new Set(covered).size).toBe(covered.length);
    // The class is larger than a chunk: split at its methods, each under the class header.
    const request = chunks.find((c) => c.names.includes('request'))!;
    expect(request.header).toEqual(['export class HttpClient extends EventEmitter {']);
    expect(request.text).toContain('async request(url: string');
    expect(request.text).toContain('await sleep(backoffDelay(attempt));');
    // A small function is whole.
    const create = chunks.find((c) => c.names.includes('createClient'))!;
    expect(create.text).toContain('export function createClient(transport: Transport, logger: Logger): HttpClient {\n  return new HttpClient(transport, logger);\n}');
  });

  it('splits a large definition with nothing inside into runs of lines', () => {
    const body = Array.from({ length: 200 }, (_, i) => `  const value${i} = compute(${i});`).join('\n');
    const source = `function huge() {\n${body}\n}\n`;
    const chunks = chunkSource('a.js', source, [{ name: 'huge', kind: 'function', line: 1, endLine: 202, scope: -1, signature: 'function huge() {' }], { maxTokens: 200 });
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks[1]!.header).toEqual(['function huge() {']);
    expect(chunks[chunks.length - 1]!.endLine).toBe(202);
  });

  it('selects the chunks a request is about, within an exact budget', async () => {
    const source = readFileSync(join(fixtures, 'inventory.py'), 'utf8');
    const chunks = await chunkFile('inventory.py', source, { maxTokens: 60 });
    const picked = await selectChunks(chunks, 'make log_change write to the audit log', 80);
    expect(picked.tokens).toBeLessThanOrEqual(80);
    expect(await countTokens(picked.text)).toBe(picked.tokens);
    expect(picked.chunks[0]!.names).toContain('log_change');
    expect(picked.text).toBe(picked.chunks.map(chunkUnit).join(''));
    const none = await selectChunks(chunks, 'log_change', 3);
    expect(none.chunks).toEqual([]);
    // With counts kept, the same choice by sums of the units' counts, exact against the tokenizer.
    const known = new Map<string, number>();
    const kept = await selectChunks(chunks, 'make log_change write to the audit log', 80, known);
    expect(known.size).toBeGreaterThan(0);
    expect(kept).toEqual(picked);
    expect(await selectChunks(chunks, 'make log_change write to the audit log', 80, known)).toEqual(picked);
  });

  it('counts chunks side by side as the sum of their units, as the tokenizer does', async () => {
    const chunks: Chunk[] = [];
    for (const file of readdirSync(fixtures).sort()) chunks.push(...(await chunkFile(file, readFileSync(join(fixtures, file), 'utf8'), { maxTokens: 90 })));
    expect(chunks.length).toBeGreaterThan(40);
    const units = chunks.map(chunkUnit);
    // Pairs and runs across every kind of ending (a brace, a word, a blank line, a comment) and start.
    for (let i = 0; i + 3 < units.length; i += 2) {
      const run = units.slice(i, i + 4);
      expect(additive(run, '\n\n')).toBe(true);
      let sum = 0;
      for (const u of run) sum += await countTokens(u);
      expect(await countTokens(run.join('')), `units ${i}-${i + 3}`).toBe(sum);
    }
    // A unit that starts with whitespace or "/" could be taken into the piece before it.
    expect(additive(['a.ts (lines 1-2):\nx\n\n', ' b.ts (lines 1-2):\ny\n\n'], '\n\n')).toBe(false);
    expect(additive(['a.ts (lines 1-2):\nx\n\n', '/b.ts (lines 1-2):\ny\n\n'], '\n\n')).toBe(false);
  });

  it('fits chunks counted before without a tokenizer, to the same choice and count', async () => {
    const source = readFileSync(join(fixtures, 'http-client.ts'), 'utf8');
    const chunks = await chunkFile('http-client.ts', source, { maxTokens: 60 });
    const known = new Map<string, number>();
    const first = await fitChunks(chunks, 200, known, await tokenCounter());
    expect(first.chunks.length).toBeGreaterThan(1);
    expect(first.chunks.length).toBeLessThan(chunks.length);
    expect(await countTokens(first.text)).toBe(first.tokens);
    expect(chunksNeedCounting(chunks, known, 200)).toBe(false);
    const refuse: TokenCounter = async () => {
      throw new Error('the tokenizer was asked for');
    };
    const second = await fitChunks(chunks, 200, known, refuse);
    expect(second).toEqual(first);
    // One chunk never seen: that one is counted, and the others are not counted again.
    const counted: string[] = [];
    const exact = await tokenCounter();
    const spy: TokenCounter = async (text, limit) => {
      counted.push(text);
      return exact(text, limit);
    };
    const changed = [{ ...chunks[0]!, text: `${chunks[0]!.text}\n// changed` }, ...chunks.slice(1)];
    expect(chunksNeedCounting(changed, known, 200)).toBe(true);
    const third = await fitChunks(changed, 200, known, spy);
    expect(counted).toEqual([chunkUnit(changed[0]!)]);
    expect(await countTokens(third.text)).toBe(third.tokens);
    // Chunks found but not fitted are counted on their own, and not again once known.
    const others = (await chunkFile('inventory.py', readFileSync(join(fixtures, 'inventory.py'), 'utf8'), { maxTokens: 60 })).slice(0, 3);
    counted.length = 0;
    await countChunkUnits(others, 200, known, spy);
    expect(counted).toEqual(others.map(chunkUnit));
    expect(chunksNeedCounting(others, known, 200)).toBe(false);
    await countChunkUnits(others, 200, known, refuse);
    for (const chunk of others) expect(known.get(chunkUnit(chunk))).toBe(await countTokens(chunkUnit(chunk)));
  });
});
