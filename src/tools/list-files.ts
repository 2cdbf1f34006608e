import picomatch from 'picomatch';
import { isEnvFileName } from '../sandbox/index.js';
import { objectSchema } from './args.js';
import { capHead, formatCount } from './cap.js';
import { denied, failure, gitMessage, resolveScope, result, runGit, shortPath } from './common.js';
import type { Tool, ToolContext, ToolOutcome } from './types.js';

export const MAX_LISTED = 500;

function splitZ(buf: Buffer): string[] {
  return buf.toString('utf8').split('\0').filter((entry) => entry !== '');
}

/** A glob test for paths relative to the listed folder; a pattern without `/` tests the file name at any depth. */
export function globTest(pattern: string): (path: string) => boolean {
  const cleaned = pattern.replace(/^\.\//, '');
  return picomatch(cleaned, { dot: true, basename: !cleaned.includes('/') });
}

async function run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolOutcome> {
  const scope = await resolveScope(ctx, args['path'] as string | undefined);
  if (!scope.ok) return denied(ctx, 'list', scope.denial);
  const pattern = args['pattern'] as string | undefined;
  let test: ((path: string) => boolean) | undefined;
  if (pattern !== undefined && pattern !== '') {
    try {
      test = globTest(pattern);
    } catch (error) {
      return failure(`The pattern ${JSON.stringify(pattern)} is not a valid glob: ${(error as Error).message}.`, 'list: bad pattern');
    }
  }
  const pathspec = scope.rel === '' ? [] : ['--', `:(literal)${scope.rel}`];
  const [listed, deleted] = await Promise.all([
    runGit(ctx, ['ls-files', '-z', '--cached', '--others', '--exclude-standard', ...pathspec]),
    runGit(ctx, ['ls-files', '-z', '--deleted', ...pathspec]),
  ]);
  if (listed.code !== 0) return failure(`Listing failed: ${gitMessage(listed.stderr)}.`, 'list: git failed');
  const gone = new Set(deleted.code === 0 ? splitZ(deleted.stdout) : []);
  const prefix = scope.rel === '' ? '' : `${scope.rel}/`;
  const files: string[] = [];
  const seen = new Set<string>();
  for (const file of splitZ(listed.stdout)) {
    // --cached lists a conflicted file once per stage.
    if (seen.has(file) || gone.has(file)) continue;
    seen.add(file);
    const name = file.slice(file.lastIndexOf('/', file.length - 2) + 1);
    if (isEnvFileName(name) && !ctx.addedByName.has(file)) continue;
    if (test !== undefined) {
      const relToScope = file.startsWith(prefix) ? file.slice(prefix.length) : file;
      if (!test(relToScope)) continue;
    }
    files.push(file);
  }
  files.sort();

  const where = scope.rel === '' ? '.' : `${scope.rel}/`;
  const status = `list ${shortPath(where)}${pattern ? ` ${shortPath(pattern, 40)}` : ''} → ${formatCount(files.length)} file${files.length === 1 ? '' : 's'}`;
  if (files.length === 0) {
    return result(true, `No files${pattern ? ` matching ${JSON.stringify(pattern)}` : ''} in ${where === '.' ? 'the repository' : where}.`, status);
  }
  let text = files.slice(0, MAX_LISTED).join('\n');
  if (files.length > MAX_LISTED) text += `\n… and ${formatCount(files.length - MAX_LISTED)} more (narrow with path or pattern)`;
  return result(true, capHead(text, ctx.config.tools.maxResultTokens, 'narrow with path or pattern'), status);
}

/** `list_files`: tracked and untracked-not-ignored files of a folder, sorted, capped. */
export const listFilesTool: Tool = {
  kind: 'read',
  spec: {
    name: 'list_files',
    description:
      'List the files of the repository (tracked, and untracked ones git does not ignore), sorted, one repo-relative path per line. ' +
      `\`path\` limits the listing to a folder (relative to the repository root); \`pattern\` is a glob matched against paths relative to that folder (\`**/*.test.ts\`), and a pattern without "/" matches file names at any depth (\`*.md\`). ` +
      `At most ${MAX_LISTED} paths are shown, with a count of the rest.`,
    parameters: objectSchema({
      path: { type: 'string', description: 'folder relative to the repository root (default: the whole repository)' },
      pattern: { type: 'string', description: 'glob, e.g. **/*.ts or *.json' },
    }),
  },
  run,
};
