import { rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { listRaw, listSourceFiles, readAssistIgnoreText } from './git-files.js';
import { languageSpec, packName } from './languages.js';
import { listingShape, reuseListing } from './listing-reuse.js';
import { DEFAULT_INDEX_MAX_FILE_BYTES, openIndex, searchSnapshotPath } from './search-index.js';
import { matchSearchSnapshot, readSearchSnapshot } from './search-snapshot.js';
import { searchCode } from './search.js';

function fixture(): Record<string, string> {
  const files: Record<string, string> = { 'README.md': '# readme\n', 'notes.txt': 'plain\n' };
  for (let i = 0; i < 24; i++) {
    files[`src/m${String(i).padStart(2, '0')}.ts`] = `export function reporterStep${i}(input: string): number {\n  return input.length + ${i};\n}\n`;
  }
  // Sorts before `here.ts`, and its record ends in `\there.ts\0` too.
  files['a\there.ts'] = 'export const tabbed = 1;\n';
  files['here.ts'] = 'export const notTabbed = 2;\n';
  files['src/link.ts'] = 'export const linked = 3;\n';
  return files;
}

/**
 * What the listing made from the snapshot gives now, against the whole listing of the same git
 * output: the same files, keys and matches, or no answer. Then the index is brought up to date as
 * a search does, and whether it took the snapshot's listing is returned.
 */
async function step(repo: TempRepo): Promise<{ reused: boolean; byIndex: boolean | undefined }> {
  const { root, sharedAssistDir } = await resolveRepoPaths(repo.dir, repo.env);
  const raw = await listRaw(repo.dir, repo.env);
  const ignoreText = await readAssistIgnoreText(root);
  const whole = await listSourceFiles(repo.dir, repo.env, Promise.resolve(root), Promise.resolve(raw), { text: ignoreText });
  const snapshot = await readSearchSnapshot(searchSnapshotPath(sharedAssistDir));
  const shape = listingShape(raw, ignoreText);
  const reused = shape && snapshot?.listing ? await reuseListing({ raw, shape, stamp: snapshot.listing, snapshot, root, ignoreText, env: repo.env }) : undefined;
  if (reused) {
    const keys = whole.files.map((f) => `${packName(languageSpec(f.lang))}:${f.blob}`);
    expect(reused.files).toEqual(whole.files);
    expect(reused.keys).toEqual(keys);
    expect([...reused.from]).toEqual([...matchSearchSnapshot(snapshot, whole.files.map((f) => f.path), keys, DEFAULT_INDEX_MAX_FILE_BYTES)]);
  }
  const opened = await openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0 });
  expect(opened.snapshot.paths).toEqual(whole.files.map((f) => f.path));
  return { reused: reused !== undefined, byIndex: opened.stats.listingReused };
}

async function hits(repo: TempRepo): Promise<unknown> {
  const r = await searchCode({ cwd: repo.dir, env: repo.env, query: 'reporter step input length', k: 30, maxWorkers: 0, tuning: { history: 0 } });
  return r.hits.map((h) => [h.file, h.start, h.end, h.score]);
}

describe('a listing made from the snapshot and git output', () => {
  it('gives what the whole listing gives, through modified, reverted, untracked, ignored, deleted and retyped files', async () => {
    await using repo = tempRepo({ files: fixture() });
    expect(await step(repo)).toEqual({ reused: false, byIndex: undefined }); // the first build

    repo.write('src/m03.ts', 'export function reporterStep3(input: string): number {\n  return input.length * 3;\n}\n');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });
    repo.write('src/m03.ts', 'export function reporterStep3(input: string): number {\n  return input.length * 33;\n}\n');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });
    expect(await step(repo)).toEqual({ reused: true, byIndex: true }); // nothing new: the same keys

    repo.write('src/m07.ts', 'export function reporterStep7(): number {\n  return 7;\n}\nexport const more = 1;\n');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });
    // Modified then, not now: its index id again.
    repo.git('checkout', '-q', '--', 'src/m03.ts');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });
    // A file in no language the map parses changes nothing.
    writeFileSync(join(repo.dir, 'README.md'), '# changed\n');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });
    writeFileSync(join(repo.dir, 'build.log'), 'untracked\n');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });

    // An untracked source file: a new record, so the whole listing once; then its content is looked at each time.
    repo.write('src/fresh.ts', 'export const fresh = 1;\n');
    expect(await step(repo)).toEqual({ reused: false, byIndex: undefined });
    repo.write('src/fresh.ts', 'export const fresh = 2;\nexport function reporterFresh(): void {}\n');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });

    // .assistignore is part of the shape.
    repo.write('.assistignore', 'src/m07.ts\n');
    expect(await step(repo)).toEqual({ reused: false, byIndex: undefined });
    repo.write('src/m08.ts', 'export const eight = 8;\n');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });
    rmSync(join(repo.dir, '.assistignore'));
    expect(await step(repo)).toEqual({ reused: false, byIndex: undefined });

    // A deleted file is a new record.
    unlinkSync(join(repo.dir, 'src/m10.ts'));
    expect(await step(repo)).toEqual({ reused: false, byIndex: undefined });
    repo.git('checkout', '-q', '--', 'src/m10.ts');
    expect(await step(repo)).toEqual({ reused: false, byIndex: undefined });

    // A tracked file that is now a symlink: the whole listing drops it, so the snapshot's cannot stand.
    unlinkSync(join(repo.dir, 'src/link.ts'));
    symlinkSync('m00.ts', join(repo.dir, 'src/link.ts'));
    expect(await step(repo)).toEqual({ reused: false, byIndex: undefined });
    // And back to a plain file with new content: the whole listing adds it again.
    unlinkSync(join(repo.dir, 'src/link.ts'));
    repo.write('src/link.ts', 'export const linked = 4;\n');
    expect(await step(repo)).toEqual({ reused: false, byIndex: undefined });

    // A path that ends in another's name after a tab: the reverted one takes its own index id.
    repo.write('here.ts', 'export const notTabbed = 20;\n');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });
    repo.git('checkout', '-q', '--', 'here.ts');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });

    // A commit changes the entries.
    repo.commitAll('step');
    expect(await step(repo)).toEqual({ reused: false, byIndex: undefined });

    // The index made this way ranks as one built from nothing.
    repo.write('src/m12.ts', 'export function reporterStep12(input: string): number {\n  return input.length + input.length;\n}\n');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });
    repo.write('src/m12.ts', 'export function reporterStep12(input: string): number {\n  return input.length - 12;\n}\n');
    expect(await step(repo)).toEqual({ reused: true, byIndex: true });
    const updated = await hits(repo);
    rmSync(join((await resolveRepoPaths(repo.dir, repo.env)).sharedAssistDir, 'search'), { recursive: true, force: true });
    expect(await hits(repo)).toEqual(updated);
  });

  it('leaves an unmerged listing, and more changed files than it looks at, to the whole listing', async () => {
    await using repo = tempRepo({ files: fixture() });
    const id = '0'.repeat(40);
    expect(listingShape(`H 100644 ${id} 0\ta.ts\0M 100644 ${id} 1\tb.ts\0M 100644 ${id} 2\tb.ts\0`, undefined)).toBeUndefined();
    await step(repo);
    repo.write('src/m01.ts', 'export const one = 1;\n');
    await step(repo);
    repo.write('src/m01.ts', 'export const one = 11;\n');
    expect((await step(repo)).reused).toBe(true);
    // 70 untracked source files: a new shape once, then too many to look at each time.
    for (let i = 0; i < 70; i++) repo.write(`gen/g${i}.ts`, `export const g${i} = ${i};\n`);
    expect((await step(repo)).reused).toBe(false);
    expect((await step(repo)).reused).toBe(false);
  });

  it('keeps the shape when only modified entries change, and not when anything else does', () => {
    const id = (c: string): string => c.repeat(40);
    const base = `? new.ts\0H 100644 ${id('a')} 0\ta.ts\0H 100644 ${id('b')} 0\tb.ts\0C 100644 ${id('b')} 0\tb.ts\0H 100644 ${id('c')} 0\tc.md\0`;
    const shape = listingShape(base, undefined)!;
    expect(shape).toMatchObject({ modified: ['b.ts'], untracked: ['new.ts'], format: 'sha1' });
    expect(listingShape(base.replace(`C 100644 ${id('b')} 0\tb.ts\0`, ''), undefined)!.entries).toBe(shape.entries);
    expect(listingShape(base.replace(`H 100644 ${id('c')} 0\tc.md\0`, `H 100644 ${id('c')} 0\tc.md\0C 100644 ${id('c')} 0\tc.md\0`), undefined)!).toMatchObject({ entries: shape.entries, modified: ['b.ts'] });
    expect(listingShape(`? build/out.log\0? .cache/x.json\0${base}`, undefined)!.entries).toBe(shape.entries);
    expect(listingShape(base, 'x\n')!.entries).not.toBe(shape.entries);
    expect(listingShape(base.replace('? new.ts\0', ''), undefined)!.entries).not.toBe(shape.entries);
    expect(listingShape(base.replace(id('a'), id('d')), undefined)!.entries).not.toBe(shape.entries);
    expect(listingShape(`${base}R 100644 ${id('a')} 0\ta.ts\0`, undefined)!.entries).not.toBe(shape.entries);
  });
});
