import type { Exchange } from './history.js';

/**
 * One droppable part of the context a request carries about files outside the chat: a file's
 * section of the repo map, its summary, or its chunks.
 */
export interface ContextPiece {
  kind: 'map' | 'summary' | 'chunks';
  /** The file it is about (`''`: the repository's roll-up summary, or a map that could not be cut per file). */
  path: string;
  text: string;
}

const HEADERS = {
  map: 'Repository map (the most relevant definitions, with their files):\n\n',
  summary: 'Summaries of other files:\n\n',
  chunks: 'Relevant parts of other files (read-only context; edit them with SEARCH/REPLACE like any file):\n\n',
} as const;
const JOIN = { map: '', summary: '\n\n', chunks: '' } as const;

/** The context message: the map, the summaries, the chunks, then the files of the chat. */
export function renderContext(pieces: readonly ContextPiece[], filesText: string): string {
  const part = (kind: ContextPiece['kind']): string => {
    const texts = pieces.filter((p) => p.kind === kind).map((p) => p.text);
    return texts.length === 0 ? '' : HEADERS[kind] + texts.join(JOIN[kind]);
  };
  return [part('map'), part('summary'), part('chunks'), filesText].filter(Boolean).join('\n\n');
}

/** The map's text cut per file (each section opens with `<file>:`); one piece when it cannot be cut. */
export function mapPieces(text: string, files: readonly string[]): ContextPiece[] {
  if (text === '') return [];
  const heads = new Set(files.map((f) => `${f}:`));
  const pieces: ContextPiece[] = [];
  for (const line of text.split(/(?<=\n)/)) {
    const head = line.replace(/\n$/, '');
    if (heads.has(head)) pieces.push({ kind: 'map', path: head.slice(0, -1), text: line });
    else if (pieces.length > 0) pieces[pieces.length - 1]!.text += line;
    else return [{ kind: 'map', path: '', text }];
  }
  return pieces;
}

/** How a file was used in the conversation: the last exchange that named, read or edited it, how often, and the last edit. */
export interface FileUse {
  last: number;
  refs: number;
  edited: number;
}

const EDIT_TOOLS = new Set(['edit_file', 'write_file']);

function pathArgument(args: string): string | undefined {
  try {
    const parsed = JSON.parse(args) as { path?: unknown };
    return typeof parsed.path === 'string' ? parsed.path.replace(/^(\.\/)+/, '') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Use of each of `paths` over the history (exchange index, oldest 0) and the new request (index
 * `history.length`): named in a message or a reply, passed to a tool, or edited (an edit tool's
 * path, or a reply with SEARCH/REPLACE blocks that names it).
 */
export function fileUses(paths: readonly string[], history: readonly Exchange[], prompt: string): Map<string, FileUse> {
  const uses = new Map<string, FileUse>();
  const wanted = new Set(paths.filter((p) => p !== ''));
  const use = (path: string, at: number, edited: boolean): void => {
    if (!wanted.has(path)) return;
    const u = uses.get(path) ?? { last: -1, refs: 0, edited: -1 };
    u.last = Math.max(u.last, at);
    u.refs++;
    if (edited) u.edited = Math.max(u.edited, at);
    uses.set(path, u);
  };
  const texts = [...history.map((e, i) => ({ e, i })), { e: { request: '', user: prompt, assistant: '' } as Exchange, i: history.length }];
  for (const { e, i } of texts) {
    const blocks = e.assistant.includes('<<<<<<< SEARCH');
    for (const path of wanted) {
      if (e.user.includes(path)) use(path, i, false);
      if (e.assistant.includes(path)) use(path, i, blocks);
    }
    for (const step of e.steps ?? []) {
      for (const call of step.calls) {
        const path = pathArgument(call.arguments);
        if (path !== undefined) use(path, i, EDIT_TOOLS.has(call.name));
      }
    }
  }
  return uses;
}

/**
 * The order pieces are dropped in to fit a window (DESIGN §6 "Token counts"): what served least
 * first. Pieces of files never used in the conversation, then the least recently used, then the
 * least referenced; files edited in the conversation come last (the least recently edited of them
 * first). Equal pieces go map section, then summary, then chunks, then by path: the larger parts
 * about a file stay longest.
 */
export function dropOrder(pieces: readonly ContextPiece[], uses: ReadonlyMap<string, FileUse>): number[] {
  const none: FileUse = { last: -1, refs: 0, edited: -1 };
  const kindRank = { map: 0, summary: 1, chunks: 2 } as const;
  return pieces
    .map((p, i) => ({ p, i, u: uses.get(p.path) ?? none }))
    .sort((a, b) => {
      const ea = a.u.edited >= 0 ? 1 : 0;
      const eb = b.u.edited >= 0 ? 1 : 0;
      return ea - eb || a.u.edited - b.u.edited || a.u.last - b.u.last || a.u.refs - b.u.refs || kindRank[a.p.kind] - kindRank[b.p.kind] || (a.p.path < b.p.path ? -1 : a.p.path > b.p.path ? 1 : a.i - b.i);
    })
    .map((x) => x.i);
}
