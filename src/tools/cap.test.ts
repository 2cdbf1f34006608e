import { describe, expect, it } from 'vitest';
import { capHead, formatCount } from './cap.js';

describe('formatCount', () => {
  it('groups digits by thousands as en-US does, whatever the locale', () => {
    for (const n of [0, 7, 999, 1000, 1234, 65_536, 999_999, 1_000_000, 1_048_576, 123_456_789, -1234, Number.MAX_SAFE_INTEGER]) {
      expect(formatCount(n)).toBe(n.toLocaleString('en-US'));
    }
    expect(formatCount(1_234_567)).toBe('1,234,567');
    expect(formatCount(2.5)).toBe('2.5');
  });

  it('names the count of cut lines in the cap note', () => {
    const text = Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n');
    expect(capHead(text, 100)).toMatch(/\n\[… \d,\d{3} more lines cut: narrow the request\]$/);
  });
});
