import { describe, expect, it } from 'vitest';
import { renderCallResult } from './render.js';

describe('renderCallResult', () => {
  it('renders text, embedded resources, links and binary content as text', () => {
    const text = renderCallResult({
      content: [
        { type: 'text', text: 'first' },
        { type: 'resource', resource: { uri: 'file:///a.md', mimeType: 'text/markdown', text: '# A' } },
        { type: 'resource', resource: { uri: 'file:///b.bin', blob: Buffer.from('hello').toString('base64') } },
        { type: 'image', mimeType: 'image/png', data: Buffer.from('12345678').toString('base64') },
        { type: 'resource_link', name: 'spec', uri: 'https://example.com/spec' },
      ],
    });
    expect(text).toBe(
      [
        'first',
        'resource file:///a.md (text/markdown):\n# A',
        '[resource file:///b.bin: 5 bytes of binary content, not shown]',
        '[image image/png, 8 bytes, not shown]',
        '[resource link: spec https://example.com/spec]',
      ].join('\n\n'),
    );
  });

  it('adds structured content as JSON unless a text block already is that JSON', () => {
    expect(renderCallResult({ content: [{ type: 'text', text: 'sunny' }], structuredContent: { t: 21 } })).toBe('sunny\n\nstructured content:\n{\n  "t": 21\n}');
    expect(renderCallResult({ content: [{ type: 'text', text: '{"t":21}' }], structuredContent: { t: 21 } })).toBe('{"t":21}');
    expect(renderCallResult({ content: [] })).toBe('(the tool returned no content)');
  });
});
