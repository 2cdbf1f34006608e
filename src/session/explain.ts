import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { Session } from './session.js';
import type { SessionOptions, TurnResult } from './types.js';

/** What `explain()` takes: a session's options without the ones that write, plus what to explain. */
export interface ExplainOptions extends Omit<SessionOptions, 'mode' | 'yes' | 'dryRun' | 'autoTest' | 'allowProtected' | 'files' | 'prefetch'> {
  /** A file, `file:symbol`, or a question in words. */
  input: string;
  signal?: AbortSignal;
}

/** A `path:line` the answer cites that names a file of the repository. */
export interface Citation {
  path: string;
  line: number;
}

/** What `explain()` returns: the answer, what it cites, and the turn as `run --json` reports it. */
export interface ExplainResult {
  answer: string;
  citations: Citation[];
  /** The message sent to the model (a TARGET becomes a question about it). */
  question: string;
  turn: TurnResult;
}

/**
 * `assist explain` (DESIGN §3): the tool loop with the read-only tools only; an answer citing
 * `path:line`. Nothing is edited, run or committed; the turn is recorded in the event chain like
 * any other.
 */
export async function explain(options: ExplainOptions): Promise<ExplainResult> {
  const { input, signal, ...rest } = options;
  const session = await Session.create({ ...rest, mode: 'explain', yes: false, dryRun: false, autoTest: false, command: rest.command ?? 'assist explain' });
  try {
    const question = explainQuestion(input, options.cwd, session.root);
    const turn = await session.ask(question, signal);
    return { answer: turn.reply, citations: citationsIn(turn.reply, session.root), question, turn };
  } finally {
    session.close();
  }
}

/**
 * A TARGET (a file, or `file:symbol`, relative to `cwd`) becomes a question about it; anything
 * else is the person's question as written.
 */
export function explainQuestion(input: string, cwd: string, root: string): string {
  const text = input.trim();
  const target = asTarget(text, cwd, root);
  if (!target) return text;
  if (target.symbol) {
    return `Explain \`${target.symbol}\` in ${target.path}: what it does, how it works, what calls it and what it depends on. Read the code first; cite path:line for every fact.`;
  }
  return `Explain ${target.path}: what it is for, its main parts, and how the rest of the repository uses it. Read the code first; cite path:line for every fact.`;
}

function isFile(abs: string): boolean {
  try {
    return statSync(abs).isFile();
  } catch {
    return false;
  }
}

function asTarget(text: string, cwd: string, root: string): { path: string; symbol?: string } | null {
  if (/\s/.test(text) || text === '') return null;
  const file = (candidate: string): string | null => {
    const abs = isAbsolute(candidate) ? candidate : resolve(cwd, candidate);
    const rel = relative(root, abs);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
    return isFile(abs) ? rel.split(sep).join('/') : null;
  };
  const whole = file(text);
  if (whole) return { path: whole };
  const colon = text.lastIndexOf(':');
  if (colon > 0) {
    const path = file(text.slice(0, colon));
    const symbol = text.slice(colon + 1);
    if (path && /^[\p{L}_$][\p{L}\p{N}_$.#]*$/u.test(symbol)) return { path, symbol };
  }
  return null;
}

/** The `path:line` (or `path:start-end`) references of an answer that name files of the repository, in order, once each. */
export function citationsIn(answer: string, root: string): Citation[] {
  const seen = new Set<string>();
  const found: Citation[] = [];
  for (const m of answer.matchAll(/(?<![\w/.@+-])([\w.@+-]+(?:\/[\w.@+-]+)*):(\d+)/g)) {
    const path = (m[1] as string).replace(/^\.\//, '');
    const line = Number(m[2]);
    const key = `${path}:${line}`;
    if (seen.has(key) || line < 1 || path.startsWith('..')) continue;
    if (!isFile(resolve(root, path))) continue;
    seen.add(key);
    found.push({ path, line });
  }
  return found;
}
