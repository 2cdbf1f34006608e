import { describe, expect, it } from 'vitest';
import { fragments } from './openai-wire.js';

/** The rule the pieces follow: `size` code points each, as Array.from counts them. */
function byArray(text: string, size: number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

describe('fragments', () => {
  const texts = ['', 'a', 'abcdefgh', 'héllo wörld', 'a😀b😀😀c', '😀', '\uD800x\uDC00y\uDBFF', 'x\uDFFF\uD83D\uDE00', 'tail 👍🏽!'];
  it.each(texts)('%j: code points, the same pieces as an array of its characters', (text) => {
    for (let size = 1; size <= 5; size++) expect(fragments(text, size)).toEqual(byArray(text, size));
  });

  it('a large reply is split by slices: every piece but the last of the size, joined back whole', () => {
    const text = `${'0123456789abcdef'.repeat(1 << 16)}\n`;
    const pieces = fragments(text, 1 << 16);
    expect(pieces).toHaveLength(17);
    expect(pieces.slice(0, 16).every((p) => p.length === 1 << 16)).toBe(true);
    expect(pieces.join('')).toBe(text);
  });
});
