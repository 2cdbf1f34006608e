import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo, type TempRepo } from '../../test/helpers/git-repo.js';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { runRefresher } from '../hooks/refresher.js';
import { RefresherRegistry } from '../hooks/registry.js';
import { registerBuiltinRefreshers } from '../cli/refreshers.js';
import { buildRepoMap } from './repo-map.js';
import { listRaw } from './git-files.js';
import { prepareChangedParsers } from './changed-parsers.js';
import { openIndex, searchSnapshotPath } from './search-index.js';
import { searchCode } from './search.js';
import { readHistory } from './history.js';

const files = {
  'src/cart.ts': [
    '/** Money off a price, as a share. */',
    'export function applyDiscount(price: number, share: number): number {',
    '  return price * (1 - share);',
    '}',
    '',
    'export class Cart {',
    '  items: number[] = [];',
    '  total(): number {',
    '    return this.items.reduce((a, b) => a + b, 0);',
    '  }',
    '}',
    '',
  ].join('\n'),
  'src/checkout.ts': [
    "import { applyDiscount, Cart } from './cart';",
    '',
    'export function checkout(cart: Cart, coupon: number): number {',
    '  return applyDiscount(cart.total(), coupon);',
    '}',
    '',
  ].join('\n'),
  'src/http/retry.ts': [
    '// When the server is busy, wait longer between attempts before trying again.',
    'export function backoffDelay(attempt: number): number {',
    '  return Math.min(30_000, 250 * 2 ** attempt);',
    '}',
    '',
  ].join('\n'),
  'src/report/github-actions.ts': [
    'export class GithubActionsReporter {',
    '  /** The job summary starts with a header naming the run. */',
    '  summaryHeader(name: string): string {',
    '    return `## ${name}`;',
    '  }',
    '}',
    '',
  ].join('\n'),
  'README.md': '# shop\n',
};

async function index(repo: TempRepo): Promise<Awaited<ReturnType<typeof openIndex>>> {
  return openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0 });
}

describe('lexical search index', () => {
  it('starts loading the parser early only for a listed change newer than the index', async () => {
    await using repo = tempRepo({ files });
    {
      const { sharedAssistDir } = await index(repo);
      const indexedAt = statSync(searchSnapshotPath(sharedAssistDir)).mtimeMs;
      const at = (file: string, ms: number): void => utimesSync(join(repo.dir, file), new Date(ms), new Date(ms));
      const stamp = searchSnapshotPath(sharedAssistDir);
      const prepared = async (stampFile: string): Promise<string[]> => (await prepareChangedParsers(repo.dir, await listRaw(repo.dir, repo.env), stampFile)).sort();
      expect(await prepared(stamp)).toEqual([]); // nothing modified
      appendFileSync(join(repo.dir, 'src/cart.ts'), 'export const later = 1;\n');
      writeFileSync(join(repo.dir, 'tool.py'), 'def run():\n    pass\n');
      writeFileSync(join(repo.dir, 'NOTES.md'), '# not source\n');
      at('src/cart.ts', indexedAt + 5_000);
      at('tool.py', indexedAt + 5_000);
      expect(await prepared(stamp)).toEqual(['python', 'typescript']);
      expect(await prepared(join(sharedAssistDir, 'no-index'))).toEqual([]); // no index yet: a build
      // Indexed since (the snapshot is newer than the edits): nothing to load ahead.
      at('src/cart.ts', indexedAt - 5_000);
      at('tool.py', indexedAt - 5_000);
      expect(await prepared(stamp)).toEqual([]);
      at('tool.py', indexedAt + 5_000);
      expect(await prepared(stamp)).toEqual(['python']);
      // The index still comes out right after the early load.
      const after = await index(repo);
      expect(after.stats.indexed).toBe(2);
      // An entry at the very start of git's output counts as any other (a repository whose only
      // files are untracked lists one first); an entry only named like a tag inside a path does not.
      const raw = ['? tool.py', 'H 100644 0000000000000000000000000000000000000000 0\tsrc/C x.ts', 'C 100644 0000000000000000000000000000000000000000 0\tsrc/cart.ts', ''].join('\0');
      at('src/cart.ts', indexedAt + 5_000);
      expect((await prepareChangedParsers(repo.dir, raw, stamp)).sort()).toEqual(['python', 'typescript']);
      expect(await prepareChangedParsers(repo.dir, raw.replace('? tool.py', 'H 100644 0000000000000000000000000000000000000000 0\ttool.py').replace('\0C ', '\0H '), stamp)).toEqual([]);
    }
  });

  it('indexes each content once by blob id: reused unchanged, one file after a change, nothing on another worktree', async () => {
    await using repo = tempRepo({ files });
    const first = await index(repo);
    expect(first.stats).toMatchObject({ files: 4, indexed: 4, parsed: 4, written: true });
    expect(first.snapshot.paths).toEqual(['src/cart.ts', 'src/checkout.ts', 'src/http/retry.ts', 'src/report/github-actions.ts']);

    const again = await index(repo);
    expect(again.stats).toMatchObject({ indexed: 0, parsed: 0, fromPack: 0, written: false });

    repo.write('src/http/retry.ts', `${files['src/http/retry.ts']}export const MAX_ATTEMPTS = 5;\n`);
    const changed = await index(repo);
    expect(changed.stats).toMatchObject({ indexed: 1, parsed: 1, written: true });
    // A changed file keeps its place in the graph ranking; a new one goes last until the next full ranking.
    expect([...changed.snapshot.graphPlace]).toEqual([...first.snapshot.graphPlace]);
    repo.write('src/http/jitter.ts', 'export function jitter(ms: number): number {\n  return ms * Math.random();\n}\n');
    const added = await index(repo);
    expect(added.snapshot.paths).toContain('src/http/jitter.ts');
    expect(added.snapshot.graphOrder.at(-1)).toBe(added.snapshot.paths.indexOf('src/http/jitter.ts'));
    rmSync(join(repo.dir, 'src/http/jitter.ts'));

    // The same contents in another worktree: every entry from the shared packs, nothing chunked or parsed.
    repo.git('worktree', 'add', '-q', join(repo.home, 'other'), 'HEAD');
    const other = await openIndex({ cwd: join(repo.home, 'other'), env: repo.env, maxWorkers: 0 });
    expect(other.stats).toMatchObject({ files: 4, indexed: 0, parsed: 0 });
    expect(other.stats.fromPack).toBeGreaterThan(0);
  });

  it('takes an unchanged index by git\'s listing output alone, and builds the listing whenever that output cannot tell', async () => {
    await using repo = tempRepo({ files });
    const search = async (): Promise<{ skipped: boolean | undefined; files: string[] }> => {
      const r = await searchCode({ cwd: repo.dir, env: repo.env, query: 'discount price', maxWorkers: 0, withText: false });
      return { skipped: r.stats.listingSkipped, files: r.hits.map((h) => h.file) };
    };
    const first = await search();
    expect(first.skipped).toBe(false);
    expect(first.files[0]).toBe('src/cart.ts');
    // Nothing changed: the stored snapshot is taken by the fingerprint of git's output.
    expect(await search()).toEqual({ ...first, skipped: true });

    // A modified file: its id comes from the work tree, so the listing is built each time.
    repo.write('src/http/retry.ts', `${files['src/http/retry.ts']}export function discountPrice(price: number): number {\n  return price;\n}\n`);
    const modified = await search();
    expect(modified.skipped).toBe(false);
    expect(modified.files).toContain('src/http/retry.ts');
    expect((await search()).skipped).toBe(false);
    // Committed: the listing finds the snapshot unchanged once and stamps it; then git's output does.
    repo.commitAll('retry discount');
    expect(await search()).toEqual({ ...modified, skipped: false });
    expect(await search()).toEqual({ ...modified, skipped: true });

    // An untracked source file: its id comes from the work tree too.
    repo.write('src/coupon.ts', 'export function couponDiscount(price: number): number {\n  return price / 2;\n}\n');
    expect((await search()).files).toContain('src/coupon.ts');
    expect((await search()).skipped).toBe(false);
    repo.commitAll('coupon');
    await search();
    // An .assistignore that hides a file: the same git output, another listing.
    repo.write('.assistignore', 'src/coupon.ts\n');
    const ignored = await search();
    expect(ignored.skipped).toBe(false);
    expect(ignored.files).not.toContain('src/coupon.ts');
    expect(await search()).toEqual({ ...ignored, skipped: true });
    rmSync(join(repo.dir, '.assistignore'));
    const back = await search();
    expect(back.skipped).toBe(false);
    expect(back.files).toContain('src/coupon.ts');

    // A stamped snapshot whose paths no longer split into their count: rebuilt, never a failure.
    expect((await search()).skipped).toBe(true);
    const snapshotFile = searchSnapshotPath((await resolveRepoPaths(repo.dir, repo.env)).sharedAssistDir);
    const bytes = readFileSync(snapshotFile);
    const at = bytes.indexOf('src/cart.ts\0src/checkout.ts');
    expect(at).toBeGreaterThan(0);
    bytes[at + 'src/cart.ts'.length] = 0x78;
    writeFileSync(snapshotFile, bytes);
    expect(await search()).toEqual({ ...back, skipped: false });
    expect(await search()).toEqual({ ...back, skipped: true });
  });

  it('indexes a file over the size limit as empty, and in full once the limit grows', async () => {
    await using repo = tempRepo({ files });
    const small = await openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0, maxFileBytes: 100 });
    const retry = small.snapshot.paths.indexOf('src/http/retry.ts');
    expect(small.snapshot.fileChunkStart[retry + 1]! - small.snapshot.fileChunkStart[retry]!).toBe(0);
    const large = await openIndex({ cwd: repo.dir, env: repo.env, maxWorkers: 0, maxFileBytes: 1 << 20 });
    expect(large.snapshot.fileChunkStart[retry + 1]! - large.snapshot.fileChunkStart[retry]!).toBe(1);
    expect((await searchCode({ cwd: repo.dir, env: repo.env, query: 'backoff delay', maxWorkers: 0 })).hits[0]?.file).toBe('src/http/retry.ts');
  });

  it('rebuilds a corrupt snapshot and survives a torn pack line, never failing a search', async () => {
    await using repo = tempRepo({ files });
    await index(repo);
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    const snapshot = searchSnapshotPath(paths.sharedAssistDir);
    writeFileSync(snapshot, 'not a snapshot');
    const rebuilt = await index(repo);
    expect(rebuilt.stats).toMatchObject({ indexed: 0, fromPack: 4, written: true });
    expect((await searchCode({ cwd: repo.dir, env: repo.env, query: 'backoff delay', maxWorkers: 0 })).hits[0]?.file).toBe('src/http/retry.ts');

    // A writer killed mid-line: the pack ends in half an entry, then the snapshot goes too.
    const packDir = join(paths.sharedAssistDir, 'search');
    const pack = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.jsonl'))!);
    const size = readFileSync(pack).length;
    truncateSync(pack, size - 10);
    appendFileSync(pack, 'deadbeef');
    rmSync(snapshot);
    const recovered = await index(repo);
    expect(recovered.stats.indexed).toBe(1); // the last entry, torn, made again
    expect(recovered.stats.fromPack).toBe(3);
    expect(existsSync(snapshot)).toBe(true);

    // A term dictionary whose separators no longer match its count: a warm search does not read
    // it, the next change rebuilds from the packs rather than copy its terms.
    const before = (await searchCode({ cwd: repo.dir, env: repo.env, query: 'backoff delay total', maxWorkers: 0 })).hits;
    const bytes = readFileSync(snapshot);
    bytes[bytes.lastIndexOf(0, bytes.length - 6)] = 0x41;
    writeFileSync(snapshot, bytes);
    appendFileSync(join(repo.dir, 'src/checkout.ts'), '// changed\n');
    const afterChange = await index(repo);
    // Rebuilt: every unchanged file from the packs (the entry made again after the torn line too).
    expect(afterChange.stats).toMatchObject({ indexed: 1, fromPack: 3, written: true });
    const after = (await searchCode({ cwd: repo.dir, env: repo.env, query: 'backoff delay total', maxWorkers: 0 })).hits;
    expect(after.map((h) => [h.file, h.start, h.score])).toEqual(before.map((h) => [h.file, h.start, h.score]));
  });

  it('finds code described in words, a definition with its callers, within a folder, k at most', async () => {
    await using repo = tempRepo({ files });
    const found = await searchCode({ cwd: repo.dir, env: repo.env, query: 'the header of the GitHub Actions job summary', maxWorkers: 0 });
    expect(found.hits[0]).toMatchObject({ file: 'src/report/github-actions.ts', start: 1, end: 6 });
    expect(found.hits[0]!.text).toBe(files['src/report/github-actions.ts'].trimEnd());
    expect(found.hits[0]!.why.terms).toEqual(expect.arrayContaining(['action', 'github', 'header', 'summary']));
    expect(found.hits[0]!.why.lexical).toBe(1);

    // The definition's callers come with it, attached, when the request does not rank them itself.
    const discount = await searchCode({ cwd: repo.dir, env: repo.env, query: 'money off a price, as a share', maxWorkers: 0 });
    expect(discount.hits.map((h) => h.file)).toEqual(['src/cart.ts']);
    expect(discount.hits[0]!.callers).toEqual([
      expect.objectContaining({ file: 'src/checkout.ts', start: 1, end: 5, text: files['src/checkout.ts'].trimEnd(), why: expect.objectContaining({ related: 'calls applyDiscount' }) }),
    ]);
    expect((await searchCode({ cwd: repo.dir, env: repo.env, query: 'money off a price, as a share', maxWorkers: 0, tuning: { maxCallers: 0 } })).hits[0]!.callers).toBeUndefined();

    const scoped = await searchCode({ cwd: repo.dir, env: repo.env, query: 'discount wait attempts', path: 'src/http', maxWorkers: 0 });
    expect(scoped.hits.map((h) => h.file)).toEqual(['src/http/retry.ts']);
    expect((await searchCode({ cwd: repo.dir, env: repo.env, query: 'price cart total attempts header', k: 2, maxWorkers: 0 })).hits).toHaveLength(2);
    expect((await searchCode({ cwd: repo.dir, env: repo.env, query: 'zebra', maxWorkers: 0 })).hits).toEqual([]);
  });

  it('keeps the words that say what to do: `update` names updateCacheEntry', async () => {
    await using repo = tempRepo({
      files: {
        'src/read.ts': 'export function readCacheEntry(key: string): string {\n  return key;\n}\n',
        'src/write.ts': 'export function updateCacheEntry(key: string): string {\n  return key;\n}\n',
      },
    });
    const r = await searchCode({ cwd: repo.dir, env: repo.env, query: 'update the cache entry', maxWorkers: 0, graph: false });
    expect(r.hits[0]).toMatchObject({ file: 'src/write.ts' });
    expect(r.hits[0]!.why.terms).toContain('update');
    // The old behaviour, for the benchmark's comparison: without them the two files tie on cache entry.
    const dropped = await searchCode({ cwd: repo.dir, env: repo.env, query: 'update the cache entry', maxWorkers: 0, graph: false, tuning: { dropRequestWords: true } });
    expect(dropped.hits.every((h) => !h.why.terms.includes('update'))).toBe(true);
  });

  it('puts a chunk that holds most of the request above one that repeats one of its words, and weighs the words that say what to do less', async () => {
    await using repo = tempRepo({
      files: {
        'src/one.ts': '// Retry, retry, retry: retry again and retry once more, then retry.\nexport function again(n: number): number {\n  return n + 1;\n}\n',
        'src/both.ts': '// Spend the budget on a retry.\nexport function spend(n: number): number {\n  return n - 1;\n}\n',
        'src/pad1.ts': '// The budget of a call.\nexport function pad1(n: number): number {\n  return n;\n}\n',
        'src/pad2.ts': '// A budget for the day.\nexport function pad2(n: number): number {\n  return n;\n}\n',
      },
    });
    const ask = (query: string, tuning: Record<string, number> = {}) => searchCode({ cwd: repo.dir, env: repo.env, query, maxWorkers: 0, graph: false, tuning });
    expect((await ask('retry budget')).hits[0]).toMatchObject({ file: 'src/both.ts' });
    // BM25 alone sums the terms: the repeated word wins.
    expect((await ask('retry budget', { coverage: 0 })).hits[0]).toMatchObject({ file: 'src/one.ts' });

    repo.write('src/fixes.ts', '// Fix the fix.\nexport function later(n: number): number {\n  return n * 2;\n}\n');
    repo.write('src/timer.ts', '// A timer.\nexport function tick(n: number): number {\n  return n * 3;\n}\n');
    repo.commitAll('more');
    expect((await ask('fix timer')).hits[0]).toMatchObject({ file: 'src/timer.ts' });
    expect((await ask('fix timer', { requestWord: 1 })).hits[0]).toMatchObject({ file: 'src/fixes.ts' });
    // A request made only of such words keeps their whole weight: they are all it says.
    expect((await ask('fix')).hits[0]).toMatchObject({ file: 'src/fixes.ts' });
  });

  it('finds the words of a request under another ending: `serializations` and `caching` reach serializeConfig and the cache, below an exact word', async () => {
    await using repo = tempRepo({
      files: {
        'src/config.ts': 'export function serializeConfig(options: object): string {\n  return JSON.stringify(options);\n}\n',
        'src/store.ts': 'export function cacheEntry(key: string): string {\n  return key;\n}\n',
        'src/other.ts': 'export function parseOptions(text: string): object {\n  return { text };\n}\n',
        'src/exact.ts': '// Caching of serializations, said the same way.\nexport function caching(serializations: string[]): number {\n  return serializations.length;\n}\n',
      },
    });
    const ask = (query: string, morph?: number) => searchCode({ cwd: repo.dir, env: repo.env, query, maxWorkers: 0, graph: false, ...(morph === undefined ? {} : { tuning: { morph } }) });
    const serial = await ask('fewer serializations');
    expect(serial.hits.map((h) => h.file)).toEqual(['src/exact.ts', 'src/config.ts']);
    expect(serial.hits[1]!.why.terms).toContain('serialize');
    expect((await ask('the caching')).hits.map((h) => h.file)).toEqual(['src/exact.ts', 'src/store.ts']);
    // Without the same-root terms only the exact words match.
    expect((await ask('fewer serializations', 0)).hits.map((h) => h.file)).toEqual(['src/exact.ts']);
    expect((await ask('the caching', 0)).hits.map((h) => h.file)).toEqual(['src/exact.ts']);
  });

  it('lifts the files a request is about to the top of map --query, though it names no identifier', async () => {
    await using repo = tempRepo({ files });
    const query = 'wait longer between attempts when the server is busy';
    const lifted = await buildRepoMap({ cwd: repo.dir, env: repo.env, query, tokens: 1024, maxWorkers: 0 });
    expect(lifted.files[0]).toBe('src/http/retry.ts');
    const plain = await buildRepoMap({ cwd: repo.dir, env: repo.env, query, tokens: 1024, maxWorkers: 0, retrieval: false });
    expect(plain.files[0]).not.toBe('src/http/retry.ts');
  });

  it('is brought up to date by the hooks’ background refresher', async () => {
    await using repo = tempRepo({ files });
    const registry = new RefresherRegistry();
    expect(await registerBuiltinRefreshers(registry)).toContain('search');
    expect(registry.names().indexOf('search')).toBeGreaterThan(registry.names().indexOf('tags'));
    const outcome = await runRefresher('post-commit', { cwd: repo.dir, env: repo.env, registry });
    expect(outcome).toMatchObject({ ran: true, failed: [] });
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    expect(existsSync(searchSnapshotPath(paths.sharedAssistDir))).toBe(true);
    expect((await index(repo)).stats).toMatchObject({ indexed: 0, parsed: 0, written: false });

    repo.write('src/cart.ts', `${files['src/cart.ts']}export const FREE_SHIPPING_OVER = 50;\n`);
    const first = readHistory(paths.sharedAssistDir);
    expect(first?.count).toBe(1);
    const shipping = repo.commitAll('free shipping');
    await runRefresher('post-commit', { cwd: repo.dir, env: repo.env, registry });
    expect((await index(repo)).stats).toMatchObject({ indexed: 0, written: false });
    // The history index follows the commit: extended to it (the older commit kept), no search needed.
    const history = readHistory(paths.sharedAssistDir)!;
    expect(history.head).toBe(shipping);
    expect(history.ids()).toEqual([shipping, first!.ids()![0]!]);
  });
});
