import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { loadInstructions } from './instructions.js';

function put(base: string, path: string, content: string): void {
  mkdirSync(dirname(join(base, path)), { recursive: true });
  writeFileSync(join(base, path), content);
}

function load(repo: TempRepo, sub = '', limitBytes?: number) {
  return loadInstructions({ root: repo.dir, cwd: join(repo.dir, sub), env: repo.env, ...(limitBytes === undefined ? {} : { limitBytes }) });
}

describe('loadInstructions', () => {
  it('reads the person’s own file, then one file per folder from the root down to the current directory', async () => {
    await using repo = tempRepo({
      files: {
        'AGENTS.md': 'ROOT RULE\n',
        'CLAUDE.md': 'never read: the root has an AGENTS.md\n',
        'src/AGENTS.md': 'SRC RULE\n',
        'src/lib/CLAUDE.md': 'LIB CLAUDE\n',
        'src/lib/GEMINI.md': 'never read: CLAUDE.md comes first\n',
        'src/lib/deep/CONVENTIONS.md': 'DEEP CONVENTIONS\n',
        'src/lib/deep/GEMINI.md': 'DEEP GEMINI\n',
        'other/AGENTS.md': 'never read: not on the way to the current directory\n',
      },
    });
    put(repo.home, '.config/assist/AGENTS.md', 'MY OWN RULE\n');
    const got = await load(repo, 'src/lib/deep');
    expect(got.files.map((f) => f.path)).toEqual(['~/.config/assist/AGENTS.md', 'AGENTS.md', 'src/AGENTS.md', 'src/lib/CLAUDE.md', 'src/lib/deep/GEMINI.md']);
    expect(got.files.map((f) => f.source)).toEqual(['user', 'repository', 'repository', 'repository', 'repository']);
    const order = ['MY OWN RULE', 'ROOT RULE', 'SRC RULE', 'LIB CLAUDE', 'DEEP GEMINI'].map((t) => got.text.indexOf(t));
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
    expect(got.text).not.toContain('never read');
    expect(got.text).not.toContain('DEEP CONVENTIONS');
    expect(got.leftOut).toEqual([]);
    expect(got.bytes).toBe(got.files.reduce((n, f) => n + f.bytes, 0));
  });

  it('reads only the root from the root, and nothing when there is nothing', async () => {
    await using repo = tempRepo({ files: { 'AGENTS.md': 'ROOT\n', 'src/AGENTS.md': 'SRC\n' } });
    expect((await load(repo)).files.map((f) => f.path)).toEqual(['AGENTS.md']);
    await using bare = tempRepo({ files: { 'a.txt': 'x\n' } });
    const none = await load(bare);
    expect(none).toMatchObject({ files: [], leftOut: [], text: '', bytes: 0 });
  });

  it('expands @imports relative to the importing file, imports of imports included, and leaves fenced lines alone', async () => {
    await using repo = tempRepo({
      files: {
        'AGENTS.md': 'before\n@docs/style.md\nafter\n```\n@docs/never.md\n```\n',
        'docs/style.md': 'STYLE\n@rules/naming.md\n',
        'docs/rules/naming.md': 'NAMING\n',
        'docs/never.md': 'NEVER\n',
      },
    });
    const got = await load(repo);
    const file = got.files[0]!;
    expect(file.imports).toEqual(['docs/style.md', 'docs/rules/naming.md']);
    expect(file.text).toBe('before\nSTYLE\nNAMING\nafter\n```\n@docs/never.md\n```\n');
    expect(file.bytes).toBe(Buffer.byteLength(file.text));
    expect(got.notes).toEqual([]);
  });

  it('refuses a cycle, naming it, and still sends the rest', async () => {
    await using repo = tempRepo({ files: { 'AGENTS.md': 'A\n@b.md\n', 'b.md': 'B\n@AGENTS.md\n' } });
    const got = await load(repo);
    expect(got.files[0]!.text).toContain('A\nB\n[@AGENTS.md: not imported: it would import itself (AGENTS.md -> b.md -> AGENTS.md)]');
    expect(got.notes).toEqual(['b.md: @AGENTS.md refused: it would import itself (AGENTS.md -> b.md -> AGENTS.md)']);
  });

  it('refuses imports that leave the repository, by path or by a symbolic link, and .env files', async () => {
    await using repo = tempRepo({ files: { 'AGENTS.md': 'RULES\n@../outside.md\n@link.md\n@.env\n@nobody\n' } });
    writeFileSync(join(repo.dir, '..', 'outside.md'), 'SECRET OUTSIDE\n');
    symlinkSync(join(repo.dir, '..', 'outside.md'), join(repo.dir, 'link.md'));
    writeFileSync(join(repo.dir, '.env'), 'TOKEN=1\n');
    const got = await load(repo);
    const text = got.files[0]!.text;
    expect(text).not.toContain('SECRET OUTSIDE');
    expect(text).not.toContain('TOKEN=1');
    expect(text).toContain('[@../outside.md: not imported: the path leaves the repository]');
    expect(text).toContain('[@link.md: not imported: a symbolic link on the path leads outside the repository]');
    expect(text).toMatch(/\[@\.env: not imported: \.env files may hold secrets/);
    // A line that names no file may be a mention: kept as it is.
    expect(text).toContain('\n@nobody\n');
    expect(got.notes).toHaveLength(4);
    expect(got.notes[0]).toBe('AGENTS.md: @../outside.md refused: the path leaves the repository');
  });

  it('refuses an AGENTS.md that is a link out of the repository, without falling back to CLAUDE.md', async () => {
    await using repo = tempRepo({ files: { 'CLAUDE.md': 'CLAUDE\n' } });
    writeFileSync(join(repo.dir, '..', 'elsewhere.md'), 'ELSEWHERE\n');
    symlinkSync(join(repo.dir, '..', 'elsewhere.md'), join(repo.dir, 'AGENTS.md'));
    const got = await load(repo);
    expect(got.files).toEqual([]);
    expect(got.notes).toEqual(['AGENTS.md: not read: a symbolic link on the path leads outside the repository']);
  });

  it('keeps the nearest files within the limit and names the rest', async () => {
    await using repo = tempRepo({
      files: {
        'AGENTS.md': `ROOT ${'r'.repeat(20 * 1024)}\n`,
        'src/AGENTS.md': `SRC ${'s'.repeat(12 * 1024)}\n`,
        'src/lib/AGENTS.md': `LIB ${'l'.repeat(8 * 1024)}\n`,
      },
    });
    const got = await load(repo, 'src/lib');
    expect(got.files.map((f) => f.path)).toEqual(['src/AGENTS.md', 'src/lib/AGENTS.md']);
    expect(got.leftOut.map((f) => f.path)).toEqual(['AGENTS.md']);
    expect(got.bytes).toBeLessThanOrEqual(32 * 1024);
    expect(got.text).not.toContain('ROOT r');
    expect(got.text).toContain('Left out to keep the instructions within 32 KiB (the nearest were kept): AGENTS.md (20 KiB)');
    // A smaller limit: only the nearest.
    const small = await load(repo, 'src/lib', 10 * 1024);
    expect(small.files.map((f) => f.path)).toEqual(['src/lib/AGENTS.md']);
    expect(small.leftOut.map((f) => f.path)).toEqual(['AGENTS.md', 'src/AGENTS.md']);
  });

  it('lets the person’s own file import from its folder only', async () => {
    await using repo = tempRepo({ files: { 'a.txt': 'x\n' } });
    put(repo.home, '.config/assist/AGENTS.md', 'OWN\n@rules/mine.md\n@../../leak.md\n');
    put(repo.home, '.config/assist/rules/mine.md', 'MINE\n');
    put(repo.home, 'leak.md', 'LEAK\n');
    const got = await load(repo);
    expect(got.files[0]!.imports).toEqual(['~/.config/assist/rules/mine.md']);
    expect(got.files[0]!.text).toContain('OWN\nMINE\n[@../../leak.md: not imported: the path leaves its folder]');
  });
});
