import type { Provider, Usage } from '../llm/types.js';
import { renderBatchDiff } from '../edits/index.js';
import type { FileChangePreview } from './types.js';

/** A commit message: the summary line and a body (possibly empty). */
export interface CommitMessage {
  summary: string;
  body: string;
}

/** What the weak model wrote, and what it cost. */
export interface DraftedMessage extends CommitMessage {
  usage: Usage;
  model: string;
}

/** The most of the diff the weak model is shown: a message needs the gist, not every line. */
const MAX_DIFF_CHARS = 12_000;
const MAX_SUMMARY_CHARS = 72;
const MAX_BODY_LINES = 12;

const SYSTEM = [
  'You write git commit messages for changes a coding assistant made at a person\'s request.',
  'Reply with the message only: a summary line in the imperative mood, at most 72 characters, no',
  'trailing period; then, only if it helps, a blank line and a few short lines saying why or what',
  'else changed. No quotes, no markdown, no code fences.',
].join(' ');

/** The unified diff of an edit batch, as the weak model is shown it. */
export function diffOfChanges(changes: readonly FileChangePreview[]): string {
  return renderBatchDiff(changes, { color: false });
}

/**
 * Asks `model` (the configured `weak_model`) for a commit message for a change, given as the
 * request and a unified diff. Resolves null when the model fails, is stopped by `signal`, or
 * writes no usable summary line: the caller then uses the summary made from the request.
 */
export async function draftCommitMessage(provider: Provider, model: string, request: string, fullDiff: string, signal?: AbortSignal): Promise<DraftedMessage | null> {
  const diff = fullDiff.length > MAX_DIFF_CHARS ? `${fullDiff.slice(0, MAX_DIFF_CHARS)}\n… (diff cut here)` : fullDiff;
  const prompt = `The person asked:\n${request.trim().slice(0, 2_000)}\n\nThe change:\n${diff}`;
  try {
    const { collectReply } = await import('../llm/client.js');
    const reply = await collectReply(provider.stream({ model, system: SYSTEM, messages: [{ role: 'user', content: prompt }], maxOutputTokens: 200 }, signal));
    const message = parseCommitMessage(reply.text);
    return message ? { ...message, usage: reply.usage, model: reply.model } : null;
  } catch {
    return null;
  }
}

/**
 * The summary line and body of a model's reply: code fences, quotes and a `Subject:` label
 * are dropped, the summary is cut to 72 characters and loses a trailing period, the body keeps
 * at most 12 lines. Null when no line is left for the summary.
 */
export function parseCommitMessage(text: string): CommitMessage | null {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .filter((line) => !/^\s*```/.test(line));
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  const first = lines.shift();
  if (first === undefined) return null;
  const unquote = (line: string): string => line.trim().replace(/^["'`]+|["'`]+$/g, '');
  let summary = unquote(unquote(first).replace(/^(?:subject|summary|commit message)\s*:\s*/i, ''))
    .replace(/[.\s]+$/, '')
    .trim();
  if (summary === '') return null;
  if (summary.length > MAX_SUMMARY_CHARS) summary = `${summary.slice(0, MAX_SUMMARY_CHARS - 1)}…`;
  const body = lines
    .map((line) => line.trimEnd())
    .join('\n')
    .trim()
    .split('\n')
    .slice(0, MAX_BODY_LINES)
    .join('\n');
  return { summary, body };
}

/** How long an edit waits at most for the weak model's commit message before using the request's summary. */
export const COMMIT_MESSAGE_TIMEOUT_MS = 20_000;

/** A one-line commit summary from the request and the files. */
export function commitSummary(message: string, files: readonly string[]): string {
  const line = firstLine(message, 64).replace(/[.\s]+$/, '');
  if (line !== '') return line.charAt(0).toUpperCase() + line.slice(1);
  return `Edit ${files.slice(0, 3).join(', ')}${files.length > 3 ? ` and ${files.length - 3} more` : ''}`;
}

export function firstLine(text: string, max: number): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
