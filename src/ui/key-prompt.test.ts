import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { askKey } from './key-prompt.js';

const CHOICES = [
  { key: 'y', label: 'apply', value: 'yes' },
  { key: 'n', label: 'skip', value: 'no' },
  { key: 'a', label: 'always', value: 'always' },
] as const;

function io(): { stdin: PassThrough; stdout: PassThrough; shown: () => string } {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return { stdin, stdout, shown: () => text };
}

describe('askKey', () => {
  it('a burst of typed-ahead text answers nothing (its `a` is not "always"); the next single key does', async () => {
    const t = io();
    const answer = askKey(t, 'Apply?', CHOICES, { onInterrupt: 'no' });
    t.stdin.write('please wait');
    t.stdin.write('n');
    expect(await answer).toBe('no');
    expect(t.shown()).toContain('ignored 11 typed characters');
  });

  it('one key, with or without the Enter that follows it, answers', async () => {
    const t = io();
    const answer = askKey(t, 'Apply?', CHOICES, { onInterrupt: 'no' });
    t.stdin.write('y\r');
    expect(await answer).toBe('yes');
  });

  it('Ctrl-C inside a burst still interrupts', async () => {
    const t = io();
    const answer = askKey(t, 'Apply?', CHOICES, { onInterrupt: 'no' });
    t.stdin.write('abc\u0003');
    expect(await answer).toBe('no');
  });

  it('unknown single keys are ignored until a known one comes', async () => {
    const t = io();
    const answer = askKey(t, 'Apply?', CHOICES, { onInterrupt: 'no' });
    t.stdin.write('x');
    t.stdin.write('z');
    t.stdin.write('a');
    expect(await answer).toBe('always');
  });
});
