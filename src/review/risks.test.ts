import { describe, expect, it } from 'vitest';
import { diffCounts, isWhitespaceOnlyHunk } from './hunks.js';
import { manifestDependencies, risksOf } from './risks.js';
import type { ReviewChange, RiskKind } from './types.js';

function kinds(change: ReviewChange): RiskKind[] {
  return risksOf(change, diffCounts(change.before, change.after)).map((r) => r.kind);
}

const lines = (n: number, prefix = 'line'): string => Array.from({ length: n }, (_, i) => `${prefix} ${i}`).join('\n') + '\n';

describe('risk tags', () => {
  it('protected files, CI config and lockfiles', () => {
    expect(kinds({ path: '.assist.toml', before: 'a = 1\n', after: 'a = 2\n' })).toEqual(['protected']);
    expect(kinds({ path: '.husky/pre-commit', before: 'x\n', after: 'y\n' })).toEqual(['protected']);
    expect(kinds({ path: '.github/workflows/ci.yml', before: 'on: push\n', after: 'on: [push]\n' })).toEqual(['ci']);
    expect(kinds({ path: 'package-lock.json', before: '{}\n', after: '{"x":1}\n' })).toEqual(['lockfile']);
    expect(kinds({ path: 'src/a.ts', before: 'a\n', after: 'b\n' })).toEqual([]);
  });

  it('large deletions: many lines net, more than half a file, a deleted file', () => {
    const big = lines(120);
    const r = risksOf({ path: 'src/big.ts', before: big, after: lines(60) }, diffCounts(big, lines(60)));
    expect(r).toEqual([{ kind: 'large-deletion', tag: '-60 lines', reason: 'deletes 60 of 120 lines' }]);
    expect(kinds({ path: 'src/half.ts', before: lines(30), after: lines(10) })).toEqual(['large-deletion']);
    expect(kinds({ path: 'src/gone.ts', before: lines(25), after: null })).toEqual(['large-deletion']);
    expect(kinds({ path: 'src/small.ts', before: lines(30), after: lines(25) })).toEqual([]);
  });

  it('tests removed (a test file deleted, fewer test cases) and weakened (assertions deleted, tests skipped)', () => {
    const suite = "it('a', () => {\n  expect(1).toBe(1);\n  expect(2).toBe(2);\n});\nit('b', () => {\n  expect(3).toBe(3);\n});\n";
    expect(risksOf({ path: 'test/a.test.ts', before: suite, after: null }, { added: 0, removed: 7 }).map((r) => r.kind)).toEqual(['tests-removed']);
    const oneLess = "it('a', () => {\n  expect(1).toBe(1);\n  expect(2).toBe(2);\n});\n";
    expect(kinds({ path: 'test/a.test.ts', before: suite, after: oneLess })).toEqual(['tests-removed', 'tests-weakened']);
    const weaker = suite.replace('  expect(2).toBe(2);\n', '');
    const r = risksOf({ path: 'src/a.test.ts', before: suite, after: weaker }, diffCounts(suite, weaker));
    expect(r).toEqual([{ kind: 'tests-weakened', tag: '-1 assertions', reason: 'removes 1 of 3 assertions' }]);
    expect(kinds({ path: 'test/a.test.ts', before: suite, after: suite.replace("it('b'", "it.skip('b'") })).toEqual(['tests-weakened']);
    const py = 'def test_a():\n    assert f() == 1\n    assert g() == 2\n';
    expect(kinds({ path: 'tests/test_a.py', before: py, after: 'def test_a():\n    assert f() == 1\n' })).toEqual(['tests-weakened']);
    const go = 'func TestA(t *testing.T) {\n\tif f() != 1 {\n\t\tt.Errorf("bad")\n\t}\n}\n';
    expect(kinds({ path: 'a_test.go', before: go, after: 'func TestA(t *testing.T) {\n\tf()\n}\n' })).toEqual(['tests-weakened']);
    // More assertions is not a risk; neither is the same edit outside a test file.
    expect(kinds({ path: 'test/a.test.ts', before: weaker, after: suite })).toEqual([]);
    expect(kinds({ path: 'src/a.ts', before: suite, after: weaker })).toEqual([]);
  });

  it('new dependencies in package.json, requirements, go.mod, Cargo.toml, pyproject.toml', () => {
    const pkg = (deps: Record<string, string>): string => JSON.stringify({ name: 'x', dependencies: deps }, null, 2) + '\n';
    const r = risksOf({ path: 'package.json', before: pkg({ a: '^1' }), after: pkg({ a: '^2', 'left-pad': '^1.3.0' }) }, { added: 1, removed: 1 });
    expect(r).toEqual([{ kind: 'new-dependency', tag: '+left-pad', reason: 'new dependency: left-pad ^1.3.0' }]);
    expect(risksOf({ path: 'package.json', before: '{"scripts":{"test":"vitest run"}}', after: '{"scripts":{"test":"true"}}' }, { added: 1, removed: 1 })).toEqual([{ kind: 'test-script', tag: 'test script', reason: 'changes the test script from `vitest run` to `true`' }]);
    expect(kinds({ path: 'pkg/package.json', before: '{"scripts":{"test":"jest"}}', after: '{"scripts":{}}' })).toEqual(['test-script']);
    expect(kinds({ path: 'package.json', before: '{"scripts":{"test":"jest"},"version":"1.0.0"}', after: '{"scripts":{"test":"jest"},"version":"1.0.1"}' })).toEqual([]);
    expect(kinds({ path: 'requirements.txt', before: 'flask==2.0\n', after: 'flask==2.0\nrequests>=2\n' })).toEqual(['new-dependency']);
    expect(kinds({ path: 'requirements.txt', before: 'flask==2.0\n', after: 'flask==3.0\n' })).toEqual([]);
    expect(kinds({ path: 'go.mod', before: 'module m\n\nrequire (\n\tgithub.com/a/b v1.0.0\n)\n', after: 'module m\n\nrequire (\n\tgithub.com/a/b v1.0.0\n\tgithub.com/c/d v0.1.0\n)\n' })).toEqual(['new-dependency']);
    expect(kinds({ path: 'Cargo.toml', before: '[package]\nname = "x"\n\n[dependencies]\nserde = "1"\n', after: '[package]\nname = "x"\n\n[dependencies]\nserde = "1"\ntokio = { version = "1" }\n' })).toEqual(['new-dependency']);
    expect([...manifestDependencies('pyproject.toml', '[project]\nname = "x"\ndependencies = [\n  "httpx>=0.27",\n  "rich",\n]\n')!.keys()]).toEqual(['httpx', 'rich']);
    expect(manifestDependencies('src/a.ts', 'x')).toBeUndefined();
  });

  it('generated and minified files, binary files, permission bits', () => {
    expect(kinds({ path: 'dist/app.js', before: 'a\n', after: 'b\n' })).toEqual(['generated']);
    expect(kinds({ path: 'api/types.ts', before: '// Code generated by protoc. DO NOT EDIT.\nexport type A = 1;\n', after: '// Code generated by protoc. DO NOT EDIT.\nexport type A = 2;\n' })).toEqual(['generated']);
    const minified = `var a=${'1+'.repeat(2000)}1;\n`;
    expect(risksOf({ path: 'public/lib.js', before: null, after: minified }, { added: 1, removed: 0 })).toEqual([{ kind: 'generated', tag: 'minified', reason: 'minified: lines too long to review' }]);
    expect(kinds({ path: 'img/logo.png', before: 'PNG\0\x01', after: 'PNG\0\x02' })).toEqual(['binary']);
    expect(risksOf({ path: 'run.sh', before: 'echo\n', after: 'echo\n', mode: { before: '100644', after: '100755' } }, { added: 0, removed: 0 })).toEqual([{ kind: 'permissions', tag: 'mode 100755', reason: 'made executable' }]);
    expect(kinds({ path: 'run.sh', before: 'echo\n', after: 'echo\n', mode: { before: '100755', after: '100755' } })).toEqual([]);
  });
});

describe('whitespace-only hunks', () => {
  it('re-indentation, trailing spaces and blank lines only', () => {
    expect(isWhitespaceOnlyHunk([' a', '-  b', '+    b', ' c'])).toBe(true);
    expect(isWhitespaceOnlyHunk(['-b  ', '+b'])).toBe(true);
    expect(isWhitespaceOnlyHunk(['+', ' x'])).toBe(true);
    expect(isWhitespaceOnlyHunk(['-b', '+c'])).toBe(false);
    expect(isWhitespaceOnlyHunk([' x'])).toBe(false);
  });
});
