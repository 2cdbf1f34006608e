import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunkFile, chunkSource, renderChunk, selectChunks } from './chunks.js';
import { countTokens } from './tokens.js';

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
    expect(picked.text).toBe(picked.chunks.map(renderChunk).join('\n'));
    const none = await selectChunks(chunks, 'log_change', 3);
    expect(none.chunks).toEqual([]);
  });
});
