import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../helpers/run-cli.js';

// The import rules of src/ (.dependency-cruiser.js; docs/architecture.md) are checked here so
// that `npm test` fails on a new cycle or an upward import, with dependency-cruiser's own message.

const CONFIG = join(projectRoot, '.dependency-cruiser.js');
const DEPCRUISE = join(projectRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
// One cruise of src/ takes a few seconds; on a busy 2-core machine, several times that.
const SLOW = 180_000;

/** `npm run lint:deps` as CI runs it, in `cwd`: the exit code and what it printed. */
function depcruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** scripts/architecture.mjs, the generator of docs/architecture.md's graph (plain JS: typed here). */
interface Architecture {
  DOC: string;
  graphOf(output: unknown): unknown;
  render(graph: unknown): string;
  withBlock(doc: string, block: string): string;
}

/**
 * One cruise of src/ for the two checks on the project's own tree: the same command as `npm run
 * lint:deps`, its whole result as JSON (a cruise takes seconds, several times that on a busy machine).
 */
let cruise: { status: number | null; stderr: string; output: unknown };
beforeAll(() => {
  const r = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'json'], {
    cwd: projectRoot,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  cruise = { status: r.status, stderr: r.stderr, output: r.status === null ? null : (JSON.parse(r.stdout) as unknown) };
}, SLOW);

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A tree of TypeScript files (path -> content) in a new temp folder. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'assist-deps-'));
  scratch.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('import rules of src/', () => {
  it(
    'src/ keeps the import rules: no cycle, no import up or across the layers (a failure names the files)',
    async () => {
      // The result as the `err` reporter of `npm run lint:deps` prints it.
      const { format } = await import('dependency-cruiser');
      const out = `${(await format(cruise.output as Parameters<typeof format>[0], { outputType: 'err' })).output as string}${cruise.stderr}`;
      expect(out).toContain('no dependency violations found');
      expect(cruise.status, out).toBe(0);
    },
    SLOW,
  );

  it(
    'the same check fails on a type-only cycle and on imports across the layers, naming the files',
    () => {
      const dir = tree({
        // A cycle made of type-only imports: it still counts.
        'src/obs/alpha.ts': "import type { Beta } from './beta.js';\nexport interface Alpha { beta?: Beta }\n",
        'src/obs/beta.ts': "import type { Alpha } from './alpha.js';\nexport interface Beta { alpha?: Alpha }\n",
        // session/ reaching into ui/, and a lower layer reaching into session/ (lazily).
        'src/ui/view.ts': 'export const view = 1;\nexport type View = number;\n',
        'src/session/turn.ts': "import { view } from '../ui/view.js';\nexport const turn = view;\n",
        'src/git/store.ts': "export async function load(): Promise<number> {\n  return (await import('../session/turn.js')).turn;\n}\n",
        // pr/ reaching into ui/ (a type is enough).
        'src/pr/report.ts': "import type { View } from '../ui/view.js';\nexport type Report = View;\n",
        // Allowed: downward imports and test files (left out of the rules).
        'src/session/ok.ts': "import { load } from '../git/store.js';\nexport const ok = load;\n",
        'src/git/store.test.ts': "import { turn } from '../session/turn.js';\nexport const t = turn;\n",
      });
      const { status, out } = depcruise(dir);
      expect(status, out).not.toBe(0);
      expect(out).toMatch(/no-circular: src\/obs\/(alpha|beta)\.ts →\s+src\/obs\/(beta|alpha)\.ts/);
      expect(out).toContain('src/obs/alpha.ts');
      expect(out).toContain('src/obs/beta.ts');
      expect(out).toMatch(/session-not-to-ui-or-cli: src\/session\/turn\.ts → src\/ui\/view\.ts/);
      expect(out).toMatch(/lower-layers-not-up: src\/git\/store\.ts → src\/session\/turn\.ts/);
      expect(out).toMatch(/pr-not-to-cli-or-ui: src\/pr\/report\.ts → src\/ui\/view\.ts/);
      expect(out).not.toContain('src/session/ok.ts');
      expect(out).not.toContain('store.test.ts');
      expect(out).toContain('x 4 dependency violations');
    },
    SLOW,
  );

  it(
    "docs/architecture.md's picture is the one the import graph draws now",
    async () => {
      // What `node scripts/architecture.mjs --check` compares, drawn from the cruise above.
      const arch = (await import(pathToFileURL(join(projectRoot, 'scripts', 'architecture.mjs')).href)) as Architecture;
      const doc = readFileSync(arch.DOC, 'utf8');
      const drawn = arch.withBlock(doc, arch.render(arch.graphOf(cruise.output)));
      expect(drawn === doc, 'docs/architecture.md: the import graph changed; run `npm run docs:architecture` and commit the result').toBe(true);
    },
    SLOW,
  );
});
