import { describe, expect, it } from 'vitest';
import { TailBuffer } from './output.js';

describe('TailBuffer', () => {
  it('keeps everything under the limit', () => {
    const tail = new TailBuffer(100);
    tail.push(Buffer.from('a\n'));
    tail.push(Buffer.from('b\n'));
    expect(tail.text()).toBe('a\nb\n');
    expect(tail.dropped).toBe(0);
  });

  it('keeps the last bytes across chunks, starting at a whole line, and says how much went', () => {
    const tail = new TailBuffer(10);
    for (const piece of ['line1\n', 'line2\n', 'line3\n']) tail.push(Buffer.from(piece));
    expect(tail.dropped).toBe(8);
    expect(tail.text()).toBe('[… 12 bytes cut …]\nline3\n');
  });

  it('handles one chunk larger than the limit', () => {
    const tail = new TailBuffer(4);
    tail.push(Buffer.from('xy'));
    tail.push(Buffer.from('0123456789'));
    expect(tail.dropped).toBe(8);
    expect(tail.text()).toBe('[… 8 bytes cut …]\n6789');
  });

  it('never splits a multi-byte character into garbage when a line start is near', () => {
    const tail = new TailBuffer(9);
    tail.push(Buffer.from('ééé\nok\n'));
    expect(tail.text()).toBe('[… 7 bytes cut …]\nok\n');
  });
});
