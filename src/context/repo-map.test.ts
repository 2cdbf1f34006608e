import { appendFileSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { readSnapshot } from './rank-snapshot.js';
import { buildRepoMap } from './repo-map.js';
import { countTokens } from './tokens.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'map');

function fixtureFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(fixtures)) files[`src/${name}`] = readFileSync(join(fixtures, name), 'utf8');
  return files;
}

// A small TypeScript project where who-uses-what is known.
const project: Record<string, string> = {
  'src/store.ts': 'export class OrderStore {\n  save(order: Order): void {}\n}\nexport interface Order {\n  id: string;\n}\n',
  'src/mailer.ts': 'export function sendReceiptEmail(to: string): void {}\nexport class MailTransport {}\n',
  'src/checkout.ts': "import { OrderStore, type Order } from './store.js';\nexport function checkout(order: Order) {\n  new OrderStore().save(order);\n}\n",
  'src/notify.ts': "import { sendReceiptEmail } from './mailer.js';\nexport function notifyCustomer() {\n  sendReceiptEmail('a@b');\n}\n",
  'src/api.ts': "import { checkout } from './checkout.js';\nexport function handle(o: Order) {\n  checkout(o);\n  new OrderStore();\n}\n",
};

describe('buildRepoMap', () => {
  it('maps a repository, caches tags by blob, and reuses an unchanged result', async () => {
    await using repo = tempRepo({ files: fixtureFiles() });
    const first = await buildRepoMap({ cwd: repo.dir, tokens: 400, env: repo.env });
    expect(first.stats).toMatchObject({ files: 14, parsed: 14, cacheHits: 0, reused: false });
    expect(first.tokens).toBeLessThanOrEqual(400);
    expect(first.tokens).toBe(await countTokens(first.text));
    expect(first.text).toContain('⋮');

    const second = await buildRepoMap({ cwd: repo.dir, tokens: 400, env: repo.env });
    expect(second.stats).toMatchObject({ reused: true, parsed: 0 });
    expect(second.text).toBe(first.text);

    const third = await buildRepoMap({ cwd: join(repo.dir, 'src'), tokens: 400, env: repo.env, query: 'where is next_pow2' });
    expect(third.stats).toMatchObject({ reused: false, parsed: 0, cacheHits: 14 });
    expect(third.definitions[0]).toMatchObject({ name: 'next_pow2', file: 'src/ring_buffer.c', kind: 'function' });
    expect(readdirSync(join(repo.dir, '.git', 'assist', 'tags')).filter((f) => f.endsWith('.jsonl')).length).toBe(13);
    expect(repo.git('status', '--porcelain', '--ignored')).toBe('');
  });

  it("finds an unchanged map by git's listing alone, and lists the files whenever one must be hashed", async () => {
    await using repo = tempRepo({ files: { ...project, 'README.md': '# shop\n' } });
    const resultPath = join(repo.dir, '.git', 'assist', 'map-result.json');
    const first = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env });
    // A marker in the stored text shows which runs took the stored result by git's output alone.
    const stored = JSON.parse(readFileSync(resultPath, 'utf8')) as { fastKey?: string; result: { text: string } };
    expect(stored.fastKey).toMatch(/^[0-9a-f]{40}$/);
    stored.result.text = 'MARKER';
    writeFileSync(resultPath, JSON.stringify(stored));
    const warm = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env });
    expect(warm.text).toBe('MARKER');
    expect(warm.stats).toMatchObject({ reused: true, listingSkipped: true, files: first.stats.files, excluded: first.stats.excluded, hashed: 0, parsed: 0 });
    expect(first.stats.listingSkipped).toBeUndefined();
    // Another request is another key.
    expect((await buildRepoMap({ cwd: repo.dir, tokens: 999, env: repo.env })).text).not.toBe('MARKER');
    expect((await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env })).text).not.toBe('MARKER');
    const again = JSON.parse(readFileSync(resultPath, 'utf8')) as { result: { text: string } };
    again.result.text = 'MARKER';
    writeFileSync(resultPath, JSON.stringify(again));

    // An untracked file no language takes changes nothing; a modified source file is hashed.
    repo.write('notes.txt', 'todo\n');
    expect((await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env })).text).toBe('MARKER');
    appendFileSync(join(repo.dir, 'src/mailer.ts'), 'export function bounceReport(): void {}\n');
    const changed = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env });
    expect(changed.stats).toMatchObject({ reused: false, hashed: 1, parsed: 1 });
    expect(changed.stats.listingSkipped).toBeUndefined();
    expect(changed.text).toContain('bounceReport');
    // Committed: the same contents, now found by git's output (rewritten with its key by the listing's reuse).
    repo.git('add', '-A');
    repo.git('commit', '-q', '-m', 'bounce');
    const committed = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env });
    expect(committed).toMatchObject({ text: changed.text, stats: { reused: true } });
    expect(committed.stats.listingSkipped).toBeUndefined();
    expect((JSON.parse(readFileSync(resultPath, 'utf8')) as { fastKey?: string }).fastKey).not.toBe(stored.fastKey);
    const byGit = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env });
    expect(byGit.text).toBe(changed.text);
    expect(byGit.stats.listingSkipped).toBe(true);
    // What it found is the map a build from scratch makes.
    rmSync(join(repo.dir, '.git', 'assist'), { recursive: true, force: true });
    const scratch = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env });
    expect(scratch.stats).toMatchObject({ reused: false, files: byGit.stats.files, excluded: byGit.stats.excluded, skipped: byGit.stats.skipped });
    expect({ text: byGit.text, tokens: byGit.tokens, files: byGit.files, definitions: byGit.definitions }).toEqual({ text: scratch.text, tokens: scratch.tokens, files: scratch.files, definitions: scratch.definitions });

    // .assistignore is part of the key even untracked; an untracked source file is hashed.
    repo.write('.assistignore', 'src/mailer.ts\n');
    const ignored = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env });
    expect(ignored.text).not.toContain('bounceReport');
    expect(ignored.stats.files).toBe(first.stats.files - 1);
    repo.write('src/extra.ts', 'export function extraThing(): void {}\n');
    const untracked = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env });
    expect(untracked.stats).toMatchObject({ hashed: 1, files: first.stats.files });
    expect(untracked.text).toContain('extraThing');
  });

  it('parses content shared by several files once, and gives each file its tags', async () => {
    const shared = 'export class SharedWidget {\n  paint(): void {}\n}\n';
    await using repo = tempRepo({ files: { ...project, 'web/widget.ts': shared, 'mobile/widget.ts': shared, 'src/use.ts': 'new SharedWidget().paint();\n' } });
    const map = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env });
    expect(map.stats).toMatchObject({ files: 8, parsed: 8 });
    expect(map.files).toEqual(expect.arrayContaining(['web/widget.ts', 'mobile/widget.ts']));
    const blob = repo.git('rev-parse', 'HEAD:web/widget.ts').trim();
    const packs = readdirSync(join(repo.dir, '.git', 'assist', 'tags')).map((f) => readFileSync(join(repo.dir, '.git', 'assist', 'tags', f), 'utf8'));
    expect(packs.join('').split('\n').filter((line) => line.startsWith(`${blob}\t`))).toHaveLength(1);
  });

  it.each([0, 16, 64, 256, 1024])('never exceeds a budget of %i tokens', async (tokens) => {
    await using repo = tempRepo({ files: { ...fixtureFiles(), ...project } });
    const map = await buildRepoMap({ cwd: repo.dir, tokens, env: repo.env });
    expect(map.tokens).toBeLessThanOrEqual(tokens);
    expect(await countTokens(map.text)).toBe(map.tokens);
    if (tokens >= 256) expect(map.definitions.length).toBeGreaterThan(5);
  });

  it('ranks what the repository uses most, and personalises to focus files and the query', async () => {
    await using repo = tempRepo({ files: project });
    const plain = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env });
    expect(plain.definitions[0]!.name).toMatch(/^(OrderStore|Order|checkout)$/);
    expect(plain.definitions.map((d) => d.name)).toContain('sendReceiptEmail');

    const focused = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env, focusFiles: ['src/notify.ts'] });
    expect(focused.definitions[0]!.name).toBe('sendReceiptEmail');

    const asked = await buildRepoMap({ cwd: join(repo.dir, 'src'), tokens: 1000, env: repo.env, query: 'is MailTransport pooled?' });
    expect(asked.definitions[0]!.name).toBe('MailTransport');
    expect(asked.files[0]).toBe('src/mailer.ts');

    const byPath = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env, query: 'change notify.ts' });
    expect(byPath.files.indexOf('src/notify.ts')).toBeLessThan(byPath.files.indexOf('src/store.ts'));

    const excluded = await buildRepoMap({ cwd: repo.dir, tokens: 1000, env: repo.env, excludeFiles: ['src/store.ts'] });
    expect(excluded.files).not.toContain('src/store.ts');
  });

  it('parses only what changed, with ids from git, and sees untracked files', async () => {
    await using repo = tempRepo({ files: project });
    await buildRepoMap({ cwd: repo.dir, tokens: 500, env: repo.env });
    repo.write('src/mailer.ts', 'export function sendReceiptEmail(to: string): void {}\nexport function renderInvoicePdf(): void {}\n');
    repo.write('src/refunds.ts', 'export function issueRefund(): void {}\n');
    const map = await buildRepoMap({ cwd: repo.dir, tokens: 500, env: repo.env, query: 'renderInvoicePdf issueRefund' });
    expect(map.stats).toMatchObject({ parsed: 2, hashed: 2, cacheHits: 4, files: 6 });
    expect(map.definitions.slice(0, 2).map((d) => d.name).sort()).toEqual(['issueRefund', 'renderInvoicePdf']);
  });

  it('after a change, a ranking started from the last one renders the map a fresh ranking would', async () => {
    await using repo = tempRepo({ files: { ...fixtureFiles(), ...project } });
    await buildRepoMap({ cwd: repo.dir, tokens: 600, env: repo.env });
    repo.write('src/notify.ts', `${project['src/notify.ts']}export function remindCustomer() {\n  sendReceiptEmail('c@d');\n  checkout({ id: '1' });\n}\n`);
    const warm = await buildRepoMap({ cwd: repo.dir, tokens: 600, env: repo.env });
    expect(warm.stats).toMatchObject({ reused: false, parsed: 1 });
    const assistDir = join(repo.dir, '.git', 'assist');
    expect(readdirSync(assistDir)).toContain('map-ranks.bin');
    rmSync(join(assistDir, 'map-ranks.bin'));
    rmSync(join(assistDir, 'map-result.json'));
    const fresh = await buildRepoMap({ cwd: repo.dir, tokens: 600, env: repo.env });
    expect(fresh.stats.reused).toBe(false);
    expect(warm.text).toBe(fresh.text);
  });

  it('after each kind of change the map is the one a build from scratch makes: new tags in, deleted and renamed files out', async () => {
    await using repo = tempRepo({ files: { ...fixtureFiles(), ...project } });
    const fromScratch = (): Promise<string> => mapFromScratch(repo, 600);
    await buildRepoMap({ cwd: repo.dir, tokens: 600, env: repo.env });

    // A new function nothing calls yet: no link moves, the last ranking is carried over.
    appendFileSync(join(repo.dir, 'src/store.ts'), 'export function archiveOrders(): void {}\n');
    const added = await buildRepoMap({ cwd: repo.dir, tokens: 600, env: repo.env });
    expect(added.stats).toMatchObject({ parsed: 1, rankReused: true });
    expect(added.definitions.map((d) => d.name)).toContain('archiveOrders');
    expect(added.text).toBe(await fromScratch());

    // A call added: a link moves, so PageRank runs (from the last ranks).
    appendFileSync(join(repo.dir, 'src/api.ts'), 'export function purge() {\n  archiveOrders();\n}\n');
    const linked = await buildRepoMap({ cwd: repo.dir, tokens: 600, env: repo.env });
    expect(linked.stats).toMatchObject({ parsed: 1 });
    expect(linked.stats.rankReused).toBeUndefined();
    const at = (map: { definitions: { name: string }[] }): number => map.definitions.findIndex((d) => d.name === 'archiveOrders');
    expect(at(linked)).toBeGreaterThanOrEqual(0);
    expect(at(linked)).toBeLessThan(at(added)); // now referenced: it ranks higher
    expect(linked.text).toBe(await fromScratch());

    // A file deleted, then one renamed (as git sees both: gone from the work tree, or moved with git mv).
    rmSync(join(repo.dir, 'src/mailer.ts'));
    const deleted = await buildRepoMap({ cwd: repo.dir, tokens: 600, env: repo.env });
    expect(deleted.files).not.toContain('src/mailer.ts');
    expect(deleted.definitions.map((d) => d.name)).not.toContain('MailTransport');
    expect(deleted.text).toBe(await fromScratch());
    repo.git('mv', 'src/store.ts', 'src/orders.ts');
    const renamed = await buildRepoMap({ cwd: repo.dir, tokens: 600, env: repo.env });
    expect(renamed.stats.parsed).toBe(0); // the moved content is in the tags cache by its blob id
    expect(renamed.files).toContain('src/orders.ts');
    expect(renamed.files).not.toContain('src/store.ts');
    expect(renamed.text).toBe(await fromScratch());
  });

  it('keeps the last rendering when the ranking\'s head and its files are unchanged, and renders again when a shown file changed', async () => {
    await using repo = tempRepo({ files: { ...fixtureFiles(), ...project, 'src/late.ts': 'export function lateHelper(): number {\n  return 1;\n}\n' } });
    const fromScratch = (): Promise<string> => mapFromScratch(repo, 200);
    const first = await buildRepoMap({ cwd: repo.dir, tokens: 200, env: repo.env });
    expect(first.files).not.toContain('src/late.ts');
    expect(first.files).toContain('src/store.ts');

    // A file the map does not show, its body edited and a function nothing calls added: the head holds.
    repo.write('src/late.ts', 'export function lateHelper(): number {\n  return 2;\n}\nexport function laterStill(): void {}\n');
    const unseen = await buildRepoMap({ cwd: repo.dir, tokens: 200, env: repo.env });
    expect(unseen.stats).toMatchObject({ parsed: 1, rankReused: true, renderReused: true });
    expect(unseen.text).toBe(first.text);
    expect(unseen.text).toBe(await fromScratch());

    // A shown file edited without moving a link: the ranking is carried over, the rendering is made again.
    repo.write('src/store.ts', project['src/store.ts']!.replace('save(order: Order): void {}', 'save(order: Order, now = 1): void {}'));
    const shown = await buildRepoMap({ cwd: repo.dir, tokens: 200, env: repo.env });
    expect(shown.stats).toMatchObject({ parsed: 1, rankReused: true });
    expect(shown.stats.renderReused).toBeUndefined();
    expect(shown.text).toContain('now = 1');
    expect(shown.text).toBe(await fromScratch());
  });

  it('shares the tags cache across worktrees', async () => {
    await using repo = tempRepo({ files: project });
    await buildRepoMap({ cwd: repo.dir, tokens: 500, env: repo.env });
    const wt = join(repo.dir, '..', 'wt');
    repo.git('worktree', 'add', '-q', wt);
    const map = await buildRepoMap({ cwd: wt, tokens: 500, env: repo.env, query: 'anything' });
    expect(map.stats).toMatchObject({ parsed: 0, cacheHits: 5 });
  });

  it('compacts a pack grown past three times what the listing uses, and the snapshot points at the new places', async () => {
    await using repo = tempRepo({ files: project });
    const first = await buildRepoMap({ cwd: repo.dir, tokens: 500, env: repo.env });
    expect(first.stats.upkeep).toBeUndefined();
    const tagsDir = join(repo.dir, '.git', 'assist', 'tags');
    const pack = readdirSync(tagsDir).find((f) => f.startsWith('typescript-'))!;
    const packPath = join(tagsDir, pack);
    // 1.5 MB of entries for contents no file has any more (old versions, other branches).
    const stale = Array.from({ length: 3000 }, (_, i) => `${i.toString(16).padStart(40, '0')}\t{"n":["Gone${i}"],"r":{},"b":9}\t${JSON.stringify([['function', 1, 1, -1, 'x'.repeat(440)]])}\n`);
    appendFileSync(packPath, stale.join(''));
    const grown = statSync(packPath).size;
    expect(grown).toBeGreaterThan(1 << 20);

    repo.write('src/refunds.ts', 'export function issueRefund(): void {}\n');
    const second = await buildRepoMap({ cwd: repo.dir, tokens: 500, env: repo.env, query: 'issueRefund' });
    expect(second.stats.parsed).toBe(1);
    const [compacted, ...more] = second.stats.upkeep!.compacted;
    expect(more).toEqual([]);
    expect(compacted).toMatchObject({ pack: pack.replace('.jsonl', ''), after: statSync(packPath).size });
    expect(compacted!.before).toBeGreaterThan(grown); // the new file's entry was appended first
    // Live entries stay, and as many bytes of the newest stale ones: far below what it was.
    expect(statSync(packPath).size).toBeLessThan(grown / 10);

    const snapshot = (await readSnapshot(join(repo.dir, '.git', 'assist', 'map-snapshot.bin')))!;
    const bytes = readFileSync(packPath);
    snapshot.keys.forEach((key, i) => {
      const [packName, blob] = key.split(':');
      if (`${packName}.jsonl` !== pack) return;
      const line = bytes.toString('utf8', snapshot.entryAt[i]!, snapshot.entryAt[i]! + snapshot.entryLength[i]!);
      expect(line.startsWith(`${blob}\t`) && line.endsWith('\n')).toBe(true);
    });
    // Every file's tags are still cached: a new request parses nothing and shows the same definitions.
    const third = await buildRepoMap({ cwd: repo.dir, tokens: 500, env: repo.env, query: 'OrderStore' });
    expect(third.stats).toMatchObject({ parsed: 0, reused: false });
    expect(third.stats.upkeep).toBeUndefined();
    rmSync(join(repo.dir, '.git', 'assist', 'map-snapshot.bin'));
    rmSync(join(repo.dir, '.git', 'assist', 'map-result.json'));
    const rebuilt = await buildRepoMap({ cwd: repo.dir, tokens: 500, env: repo.env, query: 'OrderStore' });
    expect(rebuilt.stats).toMatchObject({ parsed: 0, cacheHits: 6 });
    expect(rebuilt.text).toBe(third.text);
  });

  it('skips files over maxFileBytes and re-parses them when the limit grows', async () => {
    await using repo = tempRepo({ files: project });
    const small = await buildRepoMap({ cwd: repo.dir, tokens: 500, env: repo.env, maxFileBytes: 90 });
    expect(small.stats.skipped).toBeGreaterThan(0);
    expect(small.files).not.toContain('src/store.ts');
    const large = await buildRepoMap({ cwd: repo.dir, tokens: 500, env: repo.env });
    expect(large.stats.skipped).toBe(0);
    expect(large.stats.parsed).toBe(small.stats.skipped);
  });

  it('refuses outside a repository', async () => {
    await using dir = tempRepo({ noInit: true });
    await expect(buildRepoMap({ cwd: dir.dir, env: dir.env })).rejects.toMatchObject({ code: 'git.not-a-repository' });
  });
});

/** The map a build with no stored state makes (the repository's assist folder set aside, then put back). */
async function mapFromScratch(repo: { dir: string; env: NodeJS.ProcessEnv }, tokens: number): Promise<string> {
  const assistDir = join(repo.dir, '.git', 'assist');
  const kept = join(repo.dir, '..', 'kept-assist');
  rmSync(kept, { recursive: true, force: true });
  renameSync(assistDir, kept);
  try {
    return (await buildRepoMap({ cwd: repo.dir, tokens, env: repo.env })).text;
  } finally {
    rmSync(assistDir, { recursive: true, force: true });
    renameSync(kept, assistDir);
  }
}
