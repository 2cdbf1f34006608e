import { execFileSync } from 'node:child_process';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The newest change below `dir`; test files beside the code are not built, so they do not count. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() && entry.name.endsWith('.test.ts')) continue;
    const full = join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

/** Integration tests drive the built CLI: build it once when src/ or scripts/ is newer than dist/. */
export default function setup(): void {
  const marker = join(root, 'dist', 'bundle', 'main.js');
  const sources = Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'scripts')));
  // The grammars and the schema come with the bundle (scripts/bundle.mjs); an older build lacks them.
  const complete = existsSync(join(root, 'dist', 'grammars', 'manifest.json')) && existsSync(join(root, 'dist', 'assist.schema.json'));
  if (complete && existsSync(marker) && statSync(marker).mtimeMs >= sources) return;
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  } catch {
    // tsc still emits on type errors; `npm run typecheck` is what fails the build for those.
  }
  // The CLI runs from the esbuild bundle (one file to load instead of hundreds: see docs/benchmarks.md).
  execFileSync('npm', ['run', '--silent', 'bundle'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(marker)) throw new Error('the bundle was not built');
}
