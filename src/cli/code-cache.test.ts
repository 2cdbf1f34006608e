import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacheFileName, codeCacheDir, dirTrust, nodeOptionsTag } from './code-cache.js';

const made: string[] = [];
function scratch(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'assist-code-cache-')));
  made.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('codeCacheDir', () => {
  it('takes ASSIST_CODE_CACHE_DIR, then XDG_CACHE_HOME/assist, then ~/.cache/assist', () => {
    expect(codeCacheDir({ ASSIST_CODE_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }, '/h')).toBe('/c');
    expect(codeCacheDir({ XDG_CACHE_HOME: '/x' }, '/h')).toBe('/x/assist');
    expect(codeCacheDir({}, '/h')).toBe('/h/.cache/assist');
  });

  it('ignores relative paths (the XDG rule) and a missing home', () => {
    expect(codeCacheDir({ ASSIST_CODE_CACHE_DIR: 'rel', XDG_CACHE_HOME: 'cache' }, '/h')).toBe('/h/.cache/assist');
    expect(codeCacheDir({}, '')).toBeNull();
  });
});

describe('dirTrust', () => {
  it("trusts a 0700 folder of this user's, and says when there is none", () => {
    const dir = join(scratch(), 'assist');
    expect(dirTrust(dir)).toBe('absent');
    mkdirSync(dir, { mode: 0o700 });
    expect(dirTrust(dir)).toBe('ok');
  });

  it('does not trust a folder others can write to', () => {
    const dir = join(scratch(), 'assist');
    mkdirSync(dir);
    chmodSync(dir, 0o777);
    expect(dirTrust(dir)).toBe('unsafe');
    chmodSync(dir, 0o720);
    expect(dirTrust(dir)).toBe('unsafe');
    chmodSync(dir, 0o755);
    expect(dirTrust(dir)).toBe('ok');
  });

  it("does not trust a folder owned by another user, a link, or a file", () => {
    const base = scratch();
    const dir = join(base, 'assist');
    mkdirSync(dir, { mode: 0o700 });
    const uid = process.getuid?.() ?? 1000;
    expect(dirTrust(dir, uid)).toBe('ok');
    expect(dirTrust(dir, uid + 1)).toBe('unsafe');
    symlinkSync(dir, join(base, 'link'));
    expect(dirTrust(join(base, 'link'))).toBe('unsafe');
    writeFileSync(join(base, 'file'), '');
    expect(dirTrust(join(base, 'file'))).toBe('unsafe');
  });
});

describe('cacheFileName', () => {
  it("keys by the build's hash, Node's version, the architecture, the command and the V8 flags", () => {
    const plain = cacheFileName('abc', 'run', []);
    expect(plain).toBe(`main-abc-${process.version}-${process.arch}-run.bin`);
    expect(cacheFileName('abc', 'run', ['--liftoff-only'])).toBe(`main-abc-${process.version}-${process.arch}-run-liftoff-only.bin`);
    expect(cacheFileName('abd', 'run', [])).not.toBe(plain);
    expect(cacheFileName('abc', 'log', [])).not.toBe(plain);
    // A package's CommonJS file: its own name and hash.
    expect(cacheFileName('def', 'run', ['--liftoff-only'], 'vendor-openai')).toBe(`vendor-openai-def-${process.version}-${process.arch}-run-liftoff-only.bin`);
    // Nothing can put a path separator into the name.
    expect(cacheFileName('abc', '../x', ['--x=../y'])).not.toContain('/');
  });
});

describe('nodeOptionsTag', () => {
  it("names Node's own options apart (V8 checks its flags), and is empty without any", () => {
    expect(nodeOptionsTag([], undefined)).toBe('');
    expect(nodeOptionsTag([], '')).toBe('');
    const big = nodeOptionsTag(['--max-old-space-size=4096'], undefined);
    expect(big).toMatch(/^node[0-9a-f]{8}$/);
    expect(nodeOptionsTag(['--max-old-space-size=4096'], undefined)).toBe(big);
    expect(nodeOptionsTag([], '--max-old-space-size=4096')).not.toBe(big);
    expect(nodeOptionsTag(['--stack-size=2000'], undefined)).not.toBe(big);
  });
});
