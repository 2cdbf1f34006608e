import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findLastLine } from './last-line.js';

const dir = mkdtempSync(join(tmpdir(), 'assist-last-line-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text, 'latin1');
  return path;
};

describe('findLastLine', () => {
  it('finds the last complete line with the prefix, wherever the blocks cut it', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `id${i % 7}\tentry ${i} ${'x'.repeat(i % 13)}`);
    const text = `${lines.join('\n')}\n`;
    const path = file('pack.jsonl', text);
    for (const block of [5, 6, 7, 16, 33, 1 << 19]) {
      for (let id = 0; id < 7; id++) {
        const last = lines.map((l, i) => [l, i] as const).filter(([l]) => l.startsWith(`id${id}\t`)).pop()!;
        const found = (await findLastLine(path, `id${id}\t`, block))!;
        expect(found.rest.toString('latin1')).toBe(last[0].slice(`id${id}\t`.length));
        expect(found.at).toBe(text.indexOf(`${last[0]}\n`));
        expect(found.length).toBe(last[0].length + 1);
      }
      expect(await findLastLine(path, 'id7\t', block)).toBeUndefined();
      // A prefix inside a line (not after a newline) is no match.
      expect(await findLastLine(path, 'entry 3', block)).toBeUndefined();
    }
  });

  it('passes over a line still being written and finds the first line of the file', async () => {
    const path = file('torn.jsonl', 'a\tfirst\nb\tone\na\tsecond\nb\ttwo\na\ttorn');
    for (const block of [3, 4, 100]) {
      expect((await findLastLine(path, 'a\t', block))!.rest.toString()).toBe('second');
      expect((await findLastLine(path, 'b\t', block))!.rest.toString()).toBe('two');
    }
    const only = file('first.jsonl', 'a\tfirst\nb\tone\n');
    expect(await findLastLine(only, 'a\t', 2)).toEqual({ at: 0, length: 8, rest: Buffer.from('first') });
  });

  it('reads a line longer than its first read, and answers undefined for no file or an empty one', async () => {
    const long = 'y'.repeat(200_000);
    const path = file('long.jsonl', `k\tshort\nk\t${long}\nz\tend\n`);
    expect((await findLastLine(path, 'k\t', 1000))!.rest.toString()).toBe(long);
    expect(await findLastLine(join(dir, 'missing.jsonl'), 'k\t')).toBeUndefined();
    expect(await findLastLine(file('empty.jsonl', ''), 'k\t')).toBeUndefined();
  });
});
