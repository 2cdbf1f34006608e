import { describe, expect, it } from 'vitest';
import { identifierTerm, pathTokens, stem, tokenize } from './search-tokens.js';

describe('search tokens', () => {
  it('splits identifiers at camelCase, ACRONYMWord, snake_case, kebab-case and digits, and keeps compounds whole', () => {
    expect(tokenize('GitHubActionsReporter')).toEqual(['git', 'hub', 'action', 'reporter', 'githubactionsreporter']);
    expect(tokenize('parseHTTPResponse')).toEqual(['parse', 'http', 'response', 'parsehttpresponse']);
    expect(tokenize('max_file_bytes')).toEqual(['max', 'file', 'byte', 'maxfilebytes']);
    expect(tokenize('github-actions')).toEqual(['github', 'action']);
    expect(tokenize('coverage-v8 http2Server')).toEqual(['coverage', '8', 'v8', 'http', '2', 'server', 'http2server']);
  });

  it('gives the same tokens for words met before and after the remembered words are forgotten', () => {
    // Words that share a hash bucket or a prefix must not be taken for each other, and a word seen
    // once gives the same tokens when met again, across the clearing at 200,000 remembered words.
    const probe = 'parseHTTPResponse parseHTTPResponses parseHTTP getUserName getUserNames';
    const expected = tokenize(probe);
    expect(expected).toEqual(['parse', 'http', 'response', 'parsehttpresponse', 'parse', 'http', 'response', 'parsehttpresponses', 'parse', 'http', 'parsehttp', 'get', 'user', 'name', 'getusername', 'get', 'user', 'name', 'getusernames']);
    const many = Array.from({ length: 200_100 }, (_, i) => `wordNumber${i}x`).join(' ');
    const tokens = tokenize(many);
    expect(tokens.slice(-4)).toEqual(['word', 'number', '200099', 'wordnumber200099x']);
    expect(tokens.length).toBe(200_100 * 4);
    expect(tokenize(probe)).toEqual(expected);
    expect(tokenize(`${probe} ${many.slice(0, 200)}`)).toEqual([...expected, ...tokens.slice(0, tokenize(many.slice(0, 200)).length)]);
  });

  it('drops stop words and one-letter parts, lower-cases and stems', () => {
    expect(tokenize('Display the test.name in a Summary header')).toEqual(['display', 'test', 'name', 'summary', 'header']);
    expect(tokenize('const x = return')).toEqual([]);
    expect(tokenize('reporters reporting reported')).toEqual(['reporter', 'report', 'report']);
  });

  it('stems plurals and verb endings without going below three letters', () => {
    expect(['queries', 'classes', 'matches', 'files', 'status', 'mapped', 'called', 'running', 'used', 'bus'].map(stem)).toEqual([
      'query',
      'class',
      'match',
      'file',
      'status',
      'map',
      'call',
      'run',
      'used',
      'bus',
    ]);
  });

  it('gives a path its folders and name without the extension, and an identifier its whole term', () => {
    expect(pathTokens('packages/vitest/src/node/reporters/github-actions.ts')).toEqual(['package', 'vitest', 'src', 'node', 'reporter', 'github', 'action']);
    expect(pathTokens('Makefile')).toEqual(['makefile']);
    expect(identifierTerm('applyDiscount')).toBe('applydiscount');
    expect(identifierTerm('render')).toBe('render');
    expect(identifierTerm('_')).toBeUndefined();
  });
});
