import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRepo } from '../../test/helpers/git-repo.js';
import { searchCode, type SearchHit } from './search.js';

/*
 * The ranking of a fixed repository, recorded from the search before the index's layout changed
 * (commit 7f98a58): any change of the snapshot's format, reader or update must give the very same
 * hits, scores, callers and files, both from a fresh build and after one changed file. The terms
 * of the same root as a request's (`morph`, added since), the lighter request words (`requestWord`)
 * and the coverage of the request (`coverage`, tenth session) are left out: this checks the index,
 * and the recorded ranking stays its reference (search.test.ts checks them).
 */

const words = ['retry', 'backoff', 'cache', 'session', 'token', 'reporter', 'summary', 'header', 'parse', 'config', 'worker', 'queue', 'render', 'branch', 'commit', 'diff', 'patch', 'budget', 'limit', 'stream'];

/** A deterministic repository of 48 files: classes, functions calling each other across folders, comments in words. */
function fixture(): Record<string, string> {
  let seed = 7;
  const rand = (n: number): number => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
  const files: Record<string, string> = {};
  const folders = ['src/core', 'src/http', 'src/report', 'src/git', 'test'];
  for (let i = 0; i < 48; i++) {
    const a = words[rand(words.length)]!;
    const b = words[rand(words.length)]!;
    const c = words[rand(words.length)]!;
    const folder = folders[i % folders.length]!;
    const j = rand(48);
    const name = `${a}${b[0]!.toUpperCase()}${b.slice(1)}${i}`;
    const body = (k: number): string[] => Array.from({ length: 24 }, (_, m) => `    total += ${words[(k + m) % words.length]!}Step(${m}, '${words[rand(words.length)]!} ${words[rand(words.length)]!}');`);
    const lines = [
      `import { helper${j} } from '../lib/h${j}';`,
      '',
      `/** Works out the ${a} of a ${b} before the ${c} is sent. */`,
      `export function ${name}(input: string): number {`,
      `  const ${c}Count = helper${j}(input.length);`,
      `  return ${c}Count + ${i};`,
      '}',
      '',
      `export class ${b[0]!.toUpperCase()}${b.slice(1)}${c[0]!.toUpperCase()}${c.slice(1)}${i} {`,
      `  // keeps the ${c} ${a} until the ${b} ends`,
      `  ${a}Of(value: number): number {`,
      '    let total = 0;',
      ...body(i),
      `    return total + ${name}(String(value)) * ${rand(9) + 1};`,
      '  }',
      '',
      `  ${c}${i}(): string {`,
      '    let total = 0;',
      ...body(i * 3),
      `    return '${a} ${b} ${c}' + total;`,
      '  }',
      '}',
      '',
      `export function helper${i}(n: number): number {`,
      `  return n + ${i};`,
      '}',
      '',
    ];
    files[`${folder}/${a}-${b}-${i}.ts`] = lines.join('\n');
  }
  return files;
}

const queries = ['retry with backoff', 'reporter summary header', 'parse the config', 'session token cache', 'commit diff patch', 'worker queue limit', 'helper12', 'stream budget render'];

type Shape = [string, number, string[]?];
function shape(h: SearchHit): Shape {
  const own = `${h.file}:${h.start}-${h.end}`;
  return h.callers ? [own, h.score, h.callers.map((c) => `${c.file}:${c.start}-${c.end} ${c.why.related ?? ''}`)] : [own, h.score];
}

async function ranking(dir: string, env: NodeJS.ProcessEnv): Promise<Record<string, { hits: Shape[]; files: string[] }>> {
  const out: Record<string, { hits: Shape[]; files: string[] }> = {};
  for (const query of queries) {
    const r = await searchCode({ cwd: dir, env, query, k: 6, maxWorkers: 0, withText: false, tuning: { morph: 0, requestWord: 1, coverage: 0, history: 0 } });
    out[query] = { hits: r.hits.map(shape), files: r.files.slice(0, 8).map((f) => `${f.file} ${f.score.toFixed(6)}`) };
  }
  return out;
}

describe('search ranking', () => {
  it('is the same as before the index layout changed, fresh and after one changed file', async () => {
    const files = fixture();
    await using repo = tempRepo({ files });
    const fresh = await ranking(repo.dir, repo.env);
    appendFileSync(join(repo.dir, Object.keys(files)[7]!), '\nexport function retryAfterHeader(header: string): number {\n  return Number(header) * 1000; // retry after the backoff the server asks for\n}\n');
    const changed = await ranking(repo.dir, repo.env);
    expect(existsSync(join(repo.dir, '.git', 'assist', 'search', 'delta.bin'))).toBe(false);
    // The same change read through a delta over the fresh build's snapshot (search-delta.ts; off
    // by default, on by ASSIST_SEARCH_DELTA=1).
    await using again = tempRepo({ files });
    const env = { ...again.env, ASSIST_SEARCH_DELTA: '1' };
    await ranking(again.dir, env);
    appendFileSync(join(again.dir, Object.keys(files)[7]!), '\nexport function retryAfterHeader(header: string): number {\n  return Number(header) * 1000; // retry after the backoff the server asks for\n}\n');
    expect(await ranking(again.dir, env)).toEqual(changed);
    expect(existsSync(join(again.dir, '.git', 'assist', 'search', 'delta.bin'))).toBe(true);
    if (process.env['ASSIST_GOLDEN_PRINT']) process.stderr.write(`GOLDEN ${JSON.stringify({ fresh, changed })}\n`);
    expect({ fresh, changed }).toEqual(GOLDEN);
  });
});

// Recorded with ASSIST_GOLDEN_PRINT=1 on commit 7f98a58 (prettier keeps it one line per hit).
const GOLDEN: unknown = {
  "fresh": {
    "retry with backoff": {
      "hits": [
        [
          "src/core/token-patch-0.ts:40-72",
          0.040984,
          [
            "src/http/retry-render-16.ts:1-9 calls helper0",
            "src/report/token-retry-2.ts:1-9 calls helper0"
          ]
        ],
        [
          "src/core/token-patch-0.ts:10-39",
          0.040215
        ],
        [
          "src/core/parse-retry-20.ts:10-39",
          0.038411
        ],
        [
          "src/core/render-token-40.ts:10-39",
          0.037204
        ],
        [
          "src/core/patch-parse-10.ts:10-39",
          0.0369
        ],
        [
          "src/core/parse-retry-20.ts:40-72",
          0.036863
        ]
      ],
      "files": [
        "src/core/token-patch-0.ts 0.040984",
        "src/core/parse-retry-20.ts 0.038411",
        "src/core/render-token-40.ts 0.037204",
        "src/core/patch-parse-10.ts 0.036900",
        "test/parse-patch-19.ts 0.036754",
        "src/http/patch-patch-1.ts 0.036418",
        "test/render-patch-39.ts 0.036065",
        "src/git/patch-render-18.ts 0.035865"
      ]
    },
    "reporter summary header": {
      "hits": [
        [
          "src/core/token-render-5.ts:10-39",
          0.039107
        ],
        [
          "src/core/patch-render-45.ts:10-39",
          0.038122
        ],
        [
          "src/git/retry-token-8.ts:40-72",
          0.037663,
          [
            "src/http/parse-token-26.ts:1-9 calls helper8"
          ]
        ],
        [
          "test/parse-token-4.ts:10-39",
          0.037641
        ],
        [
          "src/core/token-patch-25.ts:10-39",
          0.037247
        ],
        [
          "test/parse-render-24.ts:10-39",
          0.036697
        ]
      ],
      "files": [
        "src/core/token-render-5.ts 0.039107",
        "src/core/patch-render-45.ts 0.038122",
        "src/git/retry-token-8.ts 0.037663",
        "test/parse-token-4.ts 0.037641",
        "src/core/token-patch-25.ts 0.037247",
        "test/parse-render-24.ts 0.036697",
        "src/core/retry-token-15.ts 0.036555",
        "src/core/retry-token-35.ts 0.036028"
      ]
    },
    "parse the config": {
      "hits": [
        [
          "src/git/retry-token-8.ts:10-39",
          0.038589
        ],
        [
          "test/render-patch-9.ts:10-39",
          0.037549
        ],
        [
          "src/http/token-token-6.ts:10-39",
          0.03731
        ],
        [
          "src/report/patch-patch-7.ts:10-39",
          0.036692
        ],
        [
          "src/http/parse-render-36.ts:10-39",
          0.036603
        ],
        [
          "src/http/parse-patch-46.ts:10-39",
          0.036174
        ]
      ],
      "files": [
        "src/git/retry-token-8.ts 0.038589",
        "test/render-patch-9.ts 0.037549",
        "src/http/token-token-6.ts 0.037310",
        "src/report/patch-patch-7.ts 0.036692",
        "src/http/parse-render-36.ts 0.036603",
        "src/http/parse-patch-46.ts 0.036174",
        "test/token-token-29.ts 0.036143",
        "src/http/parse-token-26.ts 0.035584"
      ]
    },
    "session token cache": {
      "hits": [
        [
          "src/core/token-patch-0.ts:10-39",
          0.040984
        ],
        [
          "src/core/token-patch-0.ts:40-72",
          0.038876,
          [
            "src/core/token-patch-0.ts:1-9 calls helper0",
            "src/http/token-render-41.ts:1-9 calls helper0"
          ]
        ],
        [
          "src/core/render-token-40.ts:10-39",
          0.038527
        ],
        [
          "src/core/parse-retry-20.ts:10-39",
          0.037942
        ],
        [
          "src/http/patch-patch-1.ts:10-39",
          0.03738
        ],
        [
          "src/core/render-token-40.ts:40-72",
          0.036709
        ]
      ],
      "files": [
        "src/core/token-patch-0.ts 0.040984",
        "src/core/render-token-40.ts 0.038527",
        "src/core/parse-retry-20.ts 0.037942",
        "src/http/patch-patch-1.ts 0.037380",
        "src/http/token-render-41.ts 0.036628",
        "src/report/token-retry-2.ts 0.036156",
        "src/http/render-retry-21.ts 0.035671",
        "src/report/token-retry-42.ts 0.035141"
      ]
    },
    "commit diff patch": {
      "hits": [
        [
          "src/report/token-render-32.ts:10-39",
          0.038961
        ],
        [
          "test/retry-retry-14.ts:10-39",
          0.036983
        ],
        [
          "test/parse-render-34.ts:10-39",
          0.036656
        ],
        [
          "src/git/token-render-33.ts:10-39",
          0.036581
        ],
        [
          "src/git/token-token-13.ts:10-39",
          0.036483
        ],
        [
          "src/http/render-token-31.ts:40-72",
          0.036029
        ]
      ],
      "files": [
        "src/report/token-render-32.ts 0.038961",
        "test/retry-retry-14.ts 0.036983",
        "test/parse-render-34.ts 0.036656",
        "src/git/token-render-33.ts 0.036581",
        "src/git/token-token-13.ts 0.036483",
        "src/http/render-token-31.ts 0.036029",
        "src/http/token-parse-11.ts 0.035895",
        "test/parse-token-4.ts 0.035164"
      ]
    },
    "worker queue limit": {
      "hits": [
        [
          "src/core/parse-patch-30.ts:10-39",
          0.039711
        ],
        [
          "src/core/patch-parse-10.ts:10-39",
          0.038976
        ],
        [
          "src/git/retry-token-8.ts:10-39",
          0.038867
        ],
        [
          "src/core/parse-patch-30.ts:40-72",
          0.038792
        ],
        [
          "src/core/patch-parse-10.ts:40-72",
          0.038084
        ],
        [
          "test/render-patch-9.ts:10-39",
          0.037028
        ]
      ],
      "files": [
        "src/core/parse-patch-30.ts 0.039711",
        "src/core/patch-parse-10.ts 0.038976",
        "src/git/retry-token-8.ts 0.038867",
        "test/render-patch-9.ts 0.037028",
        "src/http/retry-render-16.ts 0.036915",
        "src/git/patch-parse-28.ts 0.036614",
        "test/token-token-29.ts 0.036128",
        "src/git/token-render-3.ts 0.035747"
      ]
    },
    "helper12": {
      "hits": [
        [
          "src/core/token-patch-0.ts:40-72",
          0.039206,
          [
            "src/core/token-patch-0.ts:1-9 calls helper0",
            "test/parse-token-4.ts:1-9 calls helper0"
          ]
        ],
        [
          "src/report/parse-retry-12.ts:40-72",
          0.038281
        ],
        [
          "src/report/parse-retry-12.ts:1-9",
          0.038017,
          [
            "src/report/parse-retry-12.ts:10-39 calls parseRetry12"
          ]
        ],
        [
          "src/git/retry-token-8.ts:40-72",
          0.037889,
          [
            "src/http/parse-token-26.ts:1-9 calls helper8"
          ]
        ],
        [
          "src/core/token-render-5.ts:40-72",
          0.037385
        ],
        [
          "test/parse-token-4.ts:40-72",
          0.036856
        ]
      ],
      "files": [
        "src/core/token-patch-0.ts 0.039206",
        "src/report/parse-retry-12.ts 0.038281",
        "src/git/retry-token-8.ts 0.037889",
        "src/core/token-render-5.ts 0.037385",
        "test/parse-token-4.ts 0.036856",
        "test/render-patch-9.ts 0.036260",
        "src/git/token-render-3.ts 0.035960",
        "src/http/patch-patch-1.ts 0.035081"
      ]
    },
    "stream budget render": {
      "hits": [
        [
          "src/http/retry-render-16.ts:10-39",
          0.039819
        ],
        [
          "src/http/parse-render-36.ts:10-39",
          0.038291
        ],
        [
          "src/report/token-render-32.ts:40-72",
          0.037787,
          [
            "src/report/token-render-32.ts:1-9 calls helper32",
            "test/render-patch-39.ts:1-9 calls helper32"
          ]
        ],
        [
          "test/render-patch-39.ts:40-72",
          0.036586
        ],
        [
          "src/report/retry-patch-37.ts:10-39",
          0.036521
        ],
        [
          "test/parse-patch-19.ts:40-72",
          0.036281
        ]
      ],
      "files": [
        "src/http/retry-render-16.ts 0.039819",
        "src/http/parse-render-36.ts 0.038291",
        "src/report/token-render-32.ts 0.037787",
        "test/render-patch-39.ts 0.036586",
        "src/report/retry-patch-37.ts 0.036521",
        "test/parse-patch-19.ts 0.036281",
        "src/report/retry-retry-17.ts 0.035985",
        "src/report/parse-retry-12.ts 0.034906"
      ]
    }
  },
  "changed": {
    "retry with backoff": {
      "hits": [
        [
          "src/core/token-patch-0.ts:40-72",
          0.040984,
          [
            "src/http/retry-render-16.ts:1-9 calls helper0",
            "src/report/token-retry-2.ts:1-9 calls helper0"
          ]
        ],
        [
          "src/core/token-patch-0.ts:10-39",
          0.039975
        ],
        [
          "src/core/parse-retry-20.ts:10-39",
          0.037942
        ],
        [
          "src/report/patch-patch-7.ts:74-76",
          0.037693
        ],
        [
          "src/core/render-token-40.ts:10-39",
          0.03676
        ],
        [
          "src/core/patch-parse-10.ts:10-39",
          0.036473
        ]
      ],
      "files": [
        "src/core/token-patch-0.ts 0.040984",
        "src/core/parse-retry-20.ts 0.037942",
        "src/report/patch-patch-7.ts 0.037693",
        "src/core/render-token-40.ts 0.036760",
        "src/core/patch-parse-10.ts 0.036473",
        "test/parse-patch-19.ts 0.036258",
        "src/http/patch-patch-1.ts 0.035959",
        "test/render-patch-39.ts 0.035584"
      ]
    },
    "reporter summary header": {
      "hits": [
        [
          "src/core/token-render-5.ts:10-39",
          0.039107
        ],
        [
          "src/core/patch-render-45.ts:10-39",
          0.038122
        ],
        [
          "src/git/retry-token-8.ts:40-72",
          0.037663,
          [
            "src/http/parse-token-26.ts:1-9 calls helper8"
          ]
        ],
        [
          "test/parse-token-4.ts:10-39",
          0.037641
        ],
        [
          "src/core/token-patch-25.ts:10-39",
          0.037247
        ],
        [
          "test/parse-render-24.ts:10-39",
          0.036697
        ]
      ],
      "files": [
        "src/core/token-render-5.ts 0.039107",
        "src/core/patch-render-45.ts 0.038122",
        "src/git/retry-token-8.ts 0.037663",
        "test/parse-token-4.ts 0.037641",
        "src/core/token-patch-25.ts 0.037247",
        "test/parse-render-24.ts 0.036697",
        "src/core/retry-token-15.ts 0.036555",
        "src/core/retry-token-35.ts 0.036028"
      ]
    },
    "parse the config": {
      "hits": [
        [
          "src/git/retry-token-8.ts:10-39",
          0.038589
        ],
        [
          "test/render-patch-9.ts:10-39",
          0.037549
        ],
        [
          "src/http/token-token-6.ts:10-39",
          0.03731
        ],
        [
          "src/report/patch-patch-7.ts:10-39",
          0.036692
        ],
        [
          "src/http/parse-render-36.ts:10-39",
          0.036603
        ],
        [
          "src/http/parse-patch-46.ts:10-39",
          0.036174
        ]
      ],
      "files": [
        "src/git/retry-token-8.ts 0.038589",
        "test/render-patch-9.ts 0.037549",
        "src/http/token-token-6.ts 0.037310",
        "src/report/patch-patch-7.ts 0.036692",
        "src/http/parse-render-36.ts 0.036603",
        "src/http/parse-patch-46.ts 0.036174",
        "test/token-token-29.ts 0.036143",
        "src/http/parse-token-26.ts 0.035584"
      ]
    },
    "session token cache": {
      "hits": [
        [
          "src/core/token-patch-0.ts:10-39",
          0.040984
        ],
        [
          "src/core/token-patch-0.ts:40-72",
          0.038876,
          [
            "src/core/token-patch-0.ts:1-9 calls helper0",
            "src/http/token-render-41.ts:1-9 calls helper0"
          ]
        ],
        [
          "src/core/render-token-40.ts:10-39",
          0.038527
        ],
        [
          "src/core/parse-retry-20.ts:10-39",
          0.037942
        ],
        [
          "src/http/patch-patch-1.ts:10-39",
          0.03738
        ],
        [
          "src/core/render-token-40.ts:40-72",
          0.036709
        ]
      ],
      "files": [
        "src/core/token-patch-0.ts 0.040984",
        "src/core/render-token-40.ts 0.038527",
        "src/core/parse-retry-20.ts 0.037942",
        "src/http/patch-patch-1.ts 0.037380",
        "src/http/token-render-41.ts 0.036628",
        "src/report/token-retry-2.ts 0.036156",
        "src/http/render-retry-21.ts 0.035671",
        "src/report/token-retry-42.ts 0.035141"
      ]
    },
    "commit diff patch": {
      "hits": [
        [
          "src/report/token-render-32.ts:10-39",
          0.038961
        ],
        [
          "test/retry-retry-14.ts:10-39",
          0.036983
        ],
        [
          "test/parse-render-34.ts:10-39",
          0.036656
        ],
        [
          "src/git/token-render-33.ts:10-39",
          0.036581
        ],
        [
          "src/git/token-token-13.ts:10-39",
          0.036483
        ],
        [
          "src/http/render-token-31.ts:40-72",
          0.036029
        ]
      ],
      "files": [
        "src/report/token-render-32.ts 0.038961",
        "test/retry-retry-14.ts 0.036983",
        "test/parse-render-34.ts 0.036656",
        "src/git/token-render-33.ts 0.036581",
        "src/git/token-token-13.ts 0.036483",
        "src/http/render-token-31.ts 0.036029",
        "src/http/token-parse-11.ts 0.035895",
        "test/parse-token-4.ts 0.035164"
      ]
    },
    "worker queue limit": {
      "hits": [
        [
          "src/core/parse-patch-30.ts:10-39",
          0.039711
        ],
        [
          "src/core/patch-parse-10.ts:10-39",
          0.038976
        ],
        [
          "src/git/retry-token-8.ts:10-39",
          0.038867
        ],
        [
          "src/core/parse-patch-30.ts:40-72",
          0.038792
        ],
        [
          "src/core/patch-parse-10.ts:40-72",
          0.038084
        ],
        [
          "test/render-patch-9.ts:10-39",
          0.037028
        ]
      ],
      "files": [
        "src/core/parse-patch-30.ts 0.039711",
        "src/core/patch-parse-10.ts 0.038976",
        "src/git/retry-token-8.ts 0.038867",
        "test/render-patch-9.ts 0.037028",
        "src/http/retry-render-16.ts 0.036915",
        "src/git/patch-parse-28.ts 0.036614",
        "test/token-token-29.ts 0.036128",
        "src/git/token-render-3.ts 0.035747"
      ]
    },
    "helper12": {
      "hits": [
        [
          "src/core/token-patch-0.ts:40-72",
          0.039206,
          [
            "src/core/token-patch-0.ts:1-9 calls helper0",
            "test/parse-token-4.ts:1-9 calls helper0"
          ]
        ],
        [
          "src/report/parse-retry-12.ts:40-72",
          0.038281
        ],
        [
          "src/report/parse-retry-12.ts:1-9",
          0.038017,
          [
            "src/report/parse-retry-12.ts:10-39 calls parseRetry12"
          ]
        ],
        [
          "src/git/retry-token-8.ts:40-72",
          0.037889,
          [
            "src/http/parse-token-26.ts:1-9 calls helper8"
          ]
        ],
        [
          "src/core/token-render-5.ts:40-72",
          0.037385
        ],
        [
          "test/parse-token-4.ts:40-72",
          0.036856
        ]
      ],
      "files": [
        "src/core/token-patch-0.ts 0.039206",
        "src/report/parse-retry-12.ts 0.038281",
        "src/git/retry-token-8.ts 0.037889",
        "src/core/token-render-5.ts 0.037385",
        "test/parse-token-4.ts 0.036856",
        "test/render-patch-9.ts 0.036260",
        "src/git/token-render-3.ts 0.035960",
        "src/http/patch-patch-1.ts 0.035081"
      ]
    },
    "stream budget render": {
      "hits": [
        [
          "src/http/retry-render-16.ts:10-39",
          0.039819
        ],
        [
          "src/http/parse-render-36.ts:10-39",
          0.038291
        ],
        [
          "src/report/token-render-32.ts:40-72",
          0.037787,
          [
            "src/report/token-render-32.ts:1-9 calls helper32",
            "test/render-patch-39.ts:1-9 calls helper32"
          ]
        ],
        [
          "test/render-patch-39.ts:40-72",
          0.036586
        ],
        [
          "src/report/retry-patch-37.ts:10-39",
          0.036521
        ],
        [
          "test/parse-patch-19.ts:40-72",
          0.036281
        ]
      ],
      "files": [
        "src/http/retry-render-16.ts 0.039819",
        "src/http/parse-render-36.ts 0.038291",
        "src/report/token-render-32.ts 0.037787",
        "test/render-patch-39.ts 0.036586",
        "src/report/retry-patch-37.ts 0.036521",
        "test/parse-patch-19.ts 0.036281",
        "src/report/retry-retry-17.ts 0.035985",
        "src/report/parse-retry-12.ts 0.034906"
      ]
    }
  }
};
