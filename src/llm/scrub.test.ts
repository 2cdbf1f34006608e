import { describe, expect, it } from 'vitest';
import { displayUrl, scrubSecrets } from './scrub.js';

describe('scrubSecrets', () => {
  it.each([
    ['known value anywhere', 'request failed for key my-very-own-key-value', ['my-very-own-key-value'], 'request failed for key [redacted]'],
    ['OpenAI masked key in a 401', 'Incorrect API key provided: sk-proj-abc1**********************wxyz. You can find', [], 'Incorrect API key provided: [redacted]. You can find'],
    ['Anthropic-shaped key', 'bad key sk-ant-api03-AAAABBBBCCCC', [], 'bad key [redacted]'],
    ['bearer header echoed', 'headers: Authorization: Bearer abcdef123456', [], 'headers: Authorization: Bearer [redacted]'],
    ['x-api-key echoed', 'x-api-key: 0123456789abcdef', [], 'x-api-key: [redacted]'],
    ['query parameter', 'GET https://proxy.example/v1?api_key=zzzzzzzzzz&x=1', [], 'GET https://proxy.example/v1?api_key=[redacted]&x=1'],
    ['userinfo in a URL', 'cannot reach https://bob:hunter22@proxy.example:8443/v1', [], 'cannot reach https://[redacted]@proxy.example:8443/v1'],
    ['Google API key in a DebugInfo detail', 'detail: Invalid API key: AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q, retry', [], 'detail: Invalid API key: [redacted], retry'],
    ['x-goog-api-key header echoed', 'x-goog-api-key: gemini-fake-key-0042', [], 'x-goog-api-key: [redacted]'],
    ['ordinary text untouched', 'model: claude-sonnet-4-5 not found (404)', [], 'model: claude-sonnet-4-5 not found (404)'],
    ['short known values ignored (no real key is that short)', 'the cat sat', ['cat'], 'the cat sat'],
  ])('%s', (_name, input, secrets, expected) => {
    expect(scrubSecrets(input, secrets)).toBe(expected);
  });

  it('removes every occurrence of a known secret', () => {
    expect(scrubSecrets('a=SECRETVALUE1 b=SECRETVALUE1', ['SECRETVALUE1'])).not.toContain('SECRETVALUE1');
  });
});

describe('displayUrl', () => {
  it.each([
    ['https://user:pw@api.example.com/v1?key=abc#x', 'https://api.example.com/v1'],
    ['http://127.0.0.1:11434', 'http://127.0.0.1:11434'],
    ['https://api.anthropic.com/', 'https://api.anthropic.com'],
    ['not a url?key=1', 'not a url'],
  ])('%s -> %s', (input, expected) => {
    expect(displayUrl(input)).toBe(expected);
  });
});
