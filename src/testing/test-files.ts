import { posix } from 'node:path';

// Test files by the conventions of the frameworks assist knows.
const TEST_FILE = [
  /(^|\/)[^/]+\.(test|spec)\.[cm]?[jt]sx?$/,
  /(^|\/)__tests__\/[^/]+\.[cm]?[jt]sx?$/,
  /(^|\/)test_[^/]+\.py$/,
  /(^|\/)[^/]+_test\.py$/,
  /(^|\/)[^/]+_test\.go$/,
  /(^|\/)[^/]+_test\.exs$/,
  /(^|\/)tests\/[^/]+\.rs$/,
  /(^|\/)(test|tests)\/[^/]+\.[cm]?[jt]s$/,
];

/** Whether a repo-relative path is a test file by the usual conventions. */
export function isTestFile(path: string): boolean {
  return !path.includes('node_modules/') && TEST_FILE.some((re) => re.test(path));
}

/** The folders between two paths: 0 for siblings, 1 for `src/a.ts` and `src/lib/b.ts`. */
function distance(a: string, b: string): number {
  const da = posix.dirname(a).split('/').filter((x) => x !== '.');
  const db = posix.dirname(b).split('/').filter((x) => x !== '.');
  let common = 0;
  while (common < da.length && common < db.length && da[common] === db[common]) common++;
  return da.length - common + (db.length - common);
}

function stem(path: string): string {
  return posix
    .basename(path)
    .replace(/\.(test|spec)(?=\.)/, '')
    .replace(/^test_/, '')
    .replace(/_test(?=\.)/, '')
    .replace(/\.[^.]+$/, '');
}

/**
 * The existing tests nearest to `target` (DESIGN §6 "Tests": the model's example): a test of the
 * same name first, then by how few folders lie between, then by path. At most `max`.
 */
export function nearestTests(files: readonly string[], target: string, max = 2): string[] {
  const name = stem(target);
  const ext = posix.extname(target).replace(/^\.[cm]?([jt])sx?$/, '.$1s');
  return files
    .filter(isTestFile)
    .map((f) => ({ f, same: stem(f) === name ? 0 : 1, lang: posix.extname(f).replace(/^\.[cm]?([jt])sx?$/, '.$1s') === ext ? 0 : 1, d: distance(f, target) }))
    .sort((a, b) => a.lang - b.lang || a.same - b.same || a.d - b.d || a.f.localeCompare(b.f))
    .slice(0, max)
    .map((x) => x.f);
}

/**
 * Where a new test of `target` goes, following the nearest existing test's convention (a sibling
 * `x.test.ts`, a mirrored `test/` tree, `test_x.py`, `x_test.go`); without one, the language's usual place.
 */
export function suggestTestPath(target: string, nearest: string | undefined): string {
  const dir = posix.dirname(target);
  const base = posix.basename(target);
  const ext = posix.extname(base);
  const name = base.slice(0, base.length - ext.length);
  if (ext === '.go') return posix.join(dir, `${name}_test.go`);
  if (ext === '.ex') return posix.join(dir.replace(/^lib(?=\/|$)/, 'test'), `${name}_test.exs`);
  if (ext === '.py') {
    if (nearest && /_test\.py$/.test(nearest)) return posix.join(posix.dirname(nearest), `${name}_test.py`);
    return posix.join(nearest ? posix.dirname(nearest) : 'tests', `test_${name}.py`);
  }
  if (!nearest) return posix.join(dir, `${name}.test${ext}`);
  const marker = /\.spec\.[^.]+$/.test(nearest) ? 'spec' : 'test';
  const nearestExt = posix.extname(nearest);
  const file = `${name}.${marker}${ext || nearestExt}`;
  const nearestDir = posix.dirname(nearest);
  // Tests beside their sources: beside this one too. A test folder of its own: that folder.
  if (!nearestDir.split('/').some((part) => TEST_DIRS.has(part))) return posix.join(dir, file);
  if (posix.basename(nearestDir) === '__tests__') return posix.join(dir, '__tests__', file);
  return posix.join(nearestDir, file);
}

const TEST_DIRS = new Set(['test', 'tests', '__tests__', 'spec', 'specs']);
