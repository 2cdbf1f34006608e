import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { resolveRepoPaths } from '../git/repo-paths.js';
import { buildRepoMap } from './repo-map.js';
import { languageForPath, packName } from './languages.js';
import { openReviewLookup } from './review-lookup.js';
import { TagsCache } from './tags-cache.js';

const pricing = 'export function applyDiscount(price: number, pct: number): number {\n  return price * (1 - pct);\n}\n';

describe('openReviewLookup', () => {
  it('reads tags from the map cache by blob id, parses new content once, and gives references from the map graph', async () => {
    await using repo = tempRepo({
      files: {
        'src/pricing.ts': pricing,
        'src/cart.ts': "import { applyDiscount } from './pricing.js';\nexport const total = (p: number) => applyDiscount(p, 0.1) + applyDiscount(p, 0.2);\n",
        'src/own.ts': 'function applyDiscount(a: number) {\n  return a;\n}\nexport const x = applyDiscount(1);\n',
        'README.md': '# r\n',
      },
    });
    const paths = await resolveRepoPaths(repo.dir, repo.env);
    const empty = await openReviewLookup({ sharedAssistDir: paths.sharedAssistDir });
    expect(empty.references(['applyDiscount'])).toBeUndefined();

    await buildRepoMap({ cwd: repo.dir, env: repo.env, maxWorkers: 0, retrieval: false });
    const lookup = await openReviewLookup({ sharedAssistDir: paths.sharedAssistDir });
    const before = await lookup.tags('src/pricing.ts', pricing);
    expect(before?.defs.map((d) => d.name)).toEqual(['applyDiscount']);
    expect(lookup.stats).toMatchObject({ hits: 1, parsed: 0, graph: true });
    const changed = pricing.replace('pct: number)', 'pct: number, currency: string)');
    const after = await lookup.tags('src/pricing.ts', changed);
    expect(after?.defs[0]?.signature).toContain('currency: string');
    expect(lookup.stats).toMatchObject({ hits: 1, parsed: 1 });
    expect(await lookup.tags('README.md', '# r\n')).toBeUndefined();
    // A file that defines the name itself is not counted as a user of it.
    expect(lookup.references(['applyDiscount', 'nothing'])).toEqual(
      new Map([
        ['applyDiscount', [{ file: 'src/cart.ts', count: 3 }]],
        ['nothing', []],
      ]),
    );

    // The parse went into the cache: the next map build (or another process) reads it.
    await lookup.written();
    const blob = execFileSync('git', ['hash-object', '--stdin'], { input: changed, encoding: 'utf8' }).trim();
    const cache = new TagsCache(paths.sharedAssistDir);
    const pack = packName(languageForPath('src/pricing.ts')!);
    await cache.loadSome(pack, [blob]);
    expect(cache.get(pack, blob)?.defs()[0]?.signature).toContain('currency: string');
    // And a proposed content seen before is not parsed again.
    const again = await openReviewLookup({ sharedAssistDir: paths.sharedAssistDir });
    await again.tags('src/pricing.ts', changed, true);
    expect(again.stats).toMatchObject({ hits: 1, parsed: 0 });
  });
});
