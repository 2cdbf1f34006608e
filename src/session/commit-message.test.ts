import { describe, expect, it } from 'vitest';
import { parseCommitMessage } from './commit-message.js';

describe('parseCommitMessage', () => {
  it('takes the first line as the summary and the rest as the body', () => {
    expect(parseCommitMessage('Add retries to the fetcher\n\nThe API drops one call in fifty.\n')).toEqual({ summary: 'Add retries to the fetcher', body: 'The API drops one call in fifty.' });
  });

  it('drops fences, quotes, a label and a trailing period', () => {
    expect(parseCommitMessage('```text\n"Subject: Fix the off-by-one in paging."\n```')).toEqual({ summary: 'Fix the off-by-one in paging', body: '' });
    expect(parseCommitMessage('\n\n`Rename user to account`')).toEqual({ summary: 'Rename user to account', body: '' });
  });

  it('cuts a long summary to 72 characters and a long body to 12 lines', () => {
    const parsed = parseCommitMessage(`${'word '.repeat(30)}\n\n${Array.from({ length: 20 }, (_, i) => `line ${i}`).join('\n')}`)!;
    expect(parsed.summary).toHaveLength(72);
    expect(parsed.summary.endsWith('…')).toBe(true);
    expect(parsed.body.split('\n')).toHaveLength(12);
  });

  it('is null when nothing is left for a summary', () => {
    expect(parseCommitMessage('')).toBeNull();
    expect(parseCommitMessage('```\n```\n')).toBeNull();
    expect(parseCommitMessage('"."')).toBeNull();
  });
});
