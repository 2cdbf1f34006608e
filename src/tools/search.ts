import { addPhase, phasesEnabled } from '../obs/phases.js';
import { isEnvFileName } from '../sandbox/index.js';
import { objectSchema } from './args.js';
import { charBudget, formatCount } from './cap.js';
import { denied, failure, gitEnv, gitMessage, resolveScope, result } from './common.js';
import { launchGit } from './launcher.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

const MAX_LINE_CHARS = 500;
// Past the cap the rest is only counted; a pattern that matches everything stops being counted here.
const MAX_COUNTED = 200_000;
const NOTE_RESERVE = 160;

/** Escapes the characters `:(glob)` treats as wildcards, so a folder name is taken literally. */
function globLiteral(path: string): string {
  return path.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** `*.{ts,tsx}` → `*.ts`, `*.tsx`: git's glob magic has no braces, models write them anyway. */
export function expandBraces(glob: string): string[] {
  const m = /\{([^{}]*,[^{}]*)\}/.exec(glob);
  if (m === null) return [glob];
  const head = glob.slice(0, m.index);
  const tail = glob.slice(m.index + m[0].length);
  return (m[1] ?? '').split(',').flatMap((alt) => expandBraces(`${head}${alt}${tail}`)).slice(0, 64);
}

/** The pathspecs of a search: the scope (a folder or a file) and a glob within it. */
export function searchPathspecs(scope: string, glob: string | undefined): string[] {
  const g = glob?.replace(/^\.\//, '');
  if (g === undefined || g === '') return scope === '' ? [] : [`:(literal)${scope}`];
  return expandBraces(g).map((one) => {
    const within = one.includes('/') ? one : `**/${one}`;
    return `:(glob)${scope === '' ? '' : `${globLiteral(scope)}/`}${within}`;
  });
}

interface Collected {
  lines: string[];
  shown: number;
  /** Matches past the cap (lower bound when `countStopped`). */
  more: number;
  countStopped: boolean;
  code: number | null;
  stderr: string;
}

function collect(ctx: ToolContext, args: string[], budget: number): Promise<Collected> {
  const lines: string[] = [];
  let used = 0;
  let full = false;
  let more = 0;
  let countStopped = false;
  let rest: Buffer | null = null;

  // One output record, data[from, to): `path\0line\0text` (git grep -z -n).
  const take = (data: Buffer, from: number, to: number): void => {
    const z1 = data.indexOf(0, from);
    if (z1 === -1 || z1 >= to) return;
    // `.env` files may hold secrets: never shown unless the person added the file by name. The
    // byte test keeps this cheap for the thousands of records only counted past the cap.
    const slash = data.lastIndexOf(0x2f, z1);
    const name = slash >= from ? slash + 1 : from;
    if (data[name] === 0x2e && ((data[name + 1] ?? 0) | 0x20) === 0x65) {
      const path = data.toString('utf8', from, z1);
      if (isEnvFileName(path.slice(path.lastIndexOf('/') + 1)) && !ctx.addedByName.has(path)) return;
    }
    if (full) {
      more++;
      return;
    }
    const z2 = data.indexOf(0, z1 + 1);
    const textFrom = z2 === -1 || z2 >= to ? z1 + 1 : z2 + 1;
    const lineNo = data.toString('utf8', z1 + 1, Math.max(z1 + 1, textFrom - 1));
    let text = data.toString('utf8', textFrom, to);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.length > MAX_LINE_CHARS) text = `${text.slice(0, MAX_LINE_CHARS)} [… line cut]`;
    const line = `${data.toString('utf8', from, z1)}:${lineNo}:${text}`;
    if (lines.length > 0 && used + line.length + 1 > budget) {
      full = true;
      more++;
      return;
    }
    lines.push(line);
    used += line.length + 1;
  };

  // Started through the process's git shell, not a spawn of this (big) process each search:
  // src/tools/launcher.ts; `tool.search.spawn` is the time this thread spends starting it.
  const spawnAt = phasesEnabled ? performance.now() : 0;
  const child = launchGit(ctx.root, ctx.env, () => gitEnv(ctx), args, (chunk) => {
    if (countStopped) return;
    const data = rest === null ? chunk : Buffer.concat([rest, chunk]);
    rest = null;
    let start = 0;
    for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, start)) {
      take(data, start, nl);
      start = nl + 1;
      if (more >= MAX_COUNTED) {
        countStopped = true;
        child.kill();
        return;
      }
    }
    if (start < data.length) rest = Buffer.from(data.subarray(start));
  });
  if (phasesEnabled) addPhase('tool.search.spawn', performance.now() - spawnAt);
  const onAbort = (): void => child.kill();
  ctx.signal?.addEventListener('abort', onAbort, { once: true });
  return child.done.then(
    ({ code, stderr }) => {
      ctx.signal?.removeEventListener('abort', onAbort);
      const last: Buffer | null = rest;
      if (last !== null && !countStopped) take(last, 0, last.length);
      return { lines, shown: lines.length, more, countStopped, code: countStopped ? 0 : code, stderr };
    },
    (error: unknown) => {
      ctx.signal?.removeEventListener('abort', onAbort);
      throw error;
    },
  );
}

async function run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const pattern = args['pattern'] as string;
  const glob = args['glob'] as string | undefined;
  const quoted = JSON.stringify(pattern.length > 60 ? `${pattern.slice(0, 59)}…` : pattern);
  if (pattern === '') return failure('The pattern is empty; give a regular expression to search for.', 'search: empty pattern');
  const scope = await resolveScope(ctx, args['path'] as string | undefined);
  if (!scope.ok) return denied(ctx, 'search', scope.denial);

  // --untracked: tracked files and untracked ones git does not ignore; its walk of the work tree
  // is a fifth of a search at 3,000 files, skipped when the turn's listing says there are none.
  // -I: no binary files. --no-column/--full-name/-z: the same output whatever the person's grep.* config says.
  const gitArgs = ['grep', '-E', '-n', '-I', '-z', '--no-color', '--no-column', '--full-name'];
  if ((await ctx.noUntrackedFiles?.()) !== true) gitArgs.push('--untracked');
  if (args['ignore_case'] === true) gitArgs.push('-i');
  gitArgs.push('-e', pattern, '--', ...searchPathspecs(scope.rel, glob));
  const budget = charBudget(ctx.config.tools.maxResultTokens) - NOTE_RESERVE;
  const found = await collect(ctx, gitArgs, budget);
  if (found.code !== 0 && found.code !== 1) {
    return failure(`The search failed: ${gitMessage(found.stderr)}. The pattern is a regular expression as in \`git grep -E\` (POSIX extended).`, `search ${quoted}: error`);
  }
  const where = scope.rel === '' ? '.' : scope.rel;
  await ctx.audit.append({ op: 'read', path: glob ? `${where} (${glob})` : where, result: 'ok', reason: `search ${pattern}`, requestId: ctx.requestId });

  const total = found.shown + found.more;
  const count = `${formatCount(total)}${found.countStopped ? '+' : ''} match${total === 1 ? '' : 'es'}`;
  const status = `search ${quoted} → ${count}`;
  if (total === 0) return result(true, 'no matches', status);
  let text = found.lines.join('\n');
  if (found.more > 0) {
    text += `\n… ${found.countStopped ? 'over ' : ''}${formatCount(found.more)} more match${found.more === 1 ? '' : 'es'} (narrow the pattern, path or glob)`;
  }
  return result(true, text, status);
}

/** `search`: `git grep -E` over tracked and untracked-not-ignored files, capped with a count of the rest. */
export const searchTool: Tool = {
  kind: 'read',
  spec: {
    name: 'search',
    description:
      'Search file contents with a regular expression (POSIX extended, as `git grep -E`: use [[:space:]] or \\s, no lookaround). ' +
      'Searches tracked files and untracked files git does not ignore; binary files are skipped. Returns `path:line:text` lines (paths relative to the repository root), ' +
      'capped in size with a count of the matches left out; long lines are cut. `path` limits the search to a folder or file, `glob` to matching file names (`*.ts`, `src/**/*.test.ts`).',
    parameters: objectSchema(
      {
        pattern: { type: 'string', description: 'regular expression (git grep -E syntax)' },
        path: { type: 'string', description: 'folder or file relative to the repository root (default: everything)' },
        glob: { type: 'string', description: 'glob of the files to search, e.g. *.py or src/**/*.ts' },
        ignore_case: { type: 'boolean', description: 'match case-insensitively (default false)' },
      },
      ['pattern'],
    ),
  },
  run,
};
