import type { Readable, Writable } from 'node:stream';
import type { Reporter } from './reporter.js';
import { renderFileDiff } from './diff.js';
import { askKey } from './key-prompt.js';
import { classifyProtected, type ApprovalAnswer } from '../sandbox/index.js';
import type { ApprovalRequest, FileChangePreview, SessionUI, ToolActivity, ToolCallApproval } from '../session/types.js';
import type { Review } from '../review/index.js';
import { createSpinner } from './spinner.js';
import { groupQuestion, headerTags, renderReview } from './review.js';

export interface TurnViewOptions {
  reporter: Reporter;
  stdin: Readable;
  /** Stream the reply as it arrives (off for --json). */
  streamReply: boolean;
  /** Where the reply goes: stdout for `run`, the terminal for chat. */
  replyTo: Writable;
  /** Whether prompts can be answered. */
  interactive: boolean;
  /** Show each tool result under its status line (`--verbose`). */
  verbose?: boolean;
}

const APPROVAL_CHOICES: ReadonlyArray<{ key: string; label: string; value: ApprovalAnswer }> = [
  { key: 'y', label: 'apply this edit', value: 'yes' },
  { key: 'n', label: 'skip this edit', value: 'no' },
  { key: 'a', label: 'apply, and always apply edits to this file', value: 'always-file' },
  { key: 's', label: 'apply, and every other edit of this session', value: 'always-session' },
  { key: 'q', label: 'skip this and the remaining edits of this reply', value: 'quit' },
];

// The same answers for a review group, plus one to go through its files one at a time.
const GROUP_CHOICES: ReadonlyArray<{ key: string; label: string; value: ApprovalAnswer | 'each' }> = [
  { key: 'y', label: 'apply these edits', value: 'yes' },
  { key: 'n', label: 'skip these edits', value: 'no' },
  { key: 'a', label: 'apply, and always apply edits to these files', value: 'always-file' },
  { key: 's', label: 'apply, and every other edit of this session', value: 'always-session' },
  { key: 'q', label: 'skip these and the remaining edits of this reply', value: 'quit' },
  { key: 'f', label: 'ask about each file of the group', value: 'each' },
];

/**
 * The terminal side of a session: the reply streamed, a reply that restarts erased (on a TTY) or
 * marked, diffs and single-key approvals.
 */
export function createTurnView(options: TurnViewOptions): SessionUI & { shown: number } {
  const r = options.reporter;
  const color = r.stdoutIsTTY && r.out.isColorSupported;
  // A spinner only where a person watches a terminal: never in a pipe, a log or --json.
  const spinner = createSpinner(r.stderr, r.stderrIsTTY && options.streamReply);
  // Diffs already on screen in this batch (a group shows its files' diffs before asking), and
  // the answers given to whole groups.
  const onScreen = new Map<string, string | null>();
  const groupAnswers = new Map<string, ApprovalAnswer | 'each'>();
  const endReplyLine = (): void => {
    if (view.shown > 0 && options.streamReply) {
      options.replyTo.write('\n');
      view.shown = 0;
    }
  };
  const askFile = async (request: ApprovalRequest): Promise<ApprovalAnswer> => {
    const warn = request.protected ? r.err.yellow(` (${request.protected.reason})`) : '';
    const answer = await askKey<ApprovalAnswer | 'interrupted'>({ stdin: options.stdin, stdout: r.stderr }, `Apply the edit to ${request.path}${warn}?`, APPROVAL_CHOICES, { onInterrupt: 'interrupted' });
    if (answer !== 'interrupted') return answer;
    // Ctrl-C here skips this edit and the rest of the reply: say so, as a stopped reply does.
    r.info(r.err.yellow(`not applied: ${request.path} (interrupted); the rest of this reply is skipped too`));
    return 'quit';
  };
  const view = {
    shown: 0,
    review(review: Review): void {
      spinner.stop();
      endReplyLine();
      onScreen.clear();
      r.stderr.write(renderReview(review, { color }));
    },
    tool(event: ToolActivity): void {
      if (event.phase === 'start') {
        if (view.shown > 0 && options.streamReply) {
          options.replyTo.write('\n');
          view.shown = 0;
        }
        spinner.start(`${event.name}…`);
        return;
      }
      spinner.stop();
      const mark = event.ok === false ? r.err.yellow('•') : r.err.dim('•');
      r.info(`${mark} ${r.err.dim(event.status)}`);
      if (options.verbose && event.result) r.info(r.err.dim(indent(event.result.length > 4000 ? `${event.result.slice(0, 4000)}\n…` : event.result)));
    },
    text(delta: string): void {
      spinner.stop();
      if (!options.streamReply) return;
      options.replyTo.write(delta);
      view.shown += delta.length;
    },
    restart(info: { model: string; reason: string }): void {
      if (options.streamReply && view.shown > 0) options.replyTo.write('\n');
      view.shown = 0;
      r.info(r.err.yellow(`-- the reply broke (${info.reason}); starting it again from ${info.model}; ignore the partial text above --`));
    },
    detail(message: string): void {
      if (!options.verbose) return;
      spinner.stop();
      r.info(r.err.dim(message));
    },
    status(message: string): void {
      spinner.stop();
      if (view.shown > 0 && options.streamReply) {
        options.replyTo.write('\n');
        view.shown = 0;
      }
      r.info(r.err.dim(message));
    },
    preview(change: FileChangePreview): void {
      if (onScreen.has(change.path) && onScreen.get(change.path) === change.after) return;
      endReplyLine();
      onScreen.set(change.path, change.after);
      r.stderr.write(renderFileDiff(change, { color, tags: headerTags(change.review), foldWhitespace: change.review !== undefined }) + '\n');
    },
    ...(options.interactive
      ? {
          async approve(request: ApprovalRequest): Promise<ApprovalAnswer> {
            spinner.stop();
            const id = request.reviewGroup?.id;
            const given = id === undefined ? undefined : groupAnswers.get(id);
            if (given !== undefined && given !== 'each') return given;
            if (request.group && given === undefined) {
              // One answer for the group: every file's diff first, then the question.
              for (const change of request.group.pending) view.preview(change);
              for (const p of request.group.pending) {
                const guarded = classifyProtected(p.path);
                if (guarded) r.warn(`${p.path}: ${guarded.reason}`);
              }
              const answer = await askKey<ApprovalAnswer | 'each' | 'interrupted'>(
                { stdin: options.stdin, stdout: r.stderr },
                groupQuestion(request.group.group, request.group.pending.map((p) => p.path)),
                GROUP_CHOICES,
                { onInterrupt: 'interrupted' },
              );
              if (answer === 'interrupted') {
                r.info(r.err.yellow(`not applied: ${request.group.pending.map((p) => p.path).join(', ')} (interrupted); the rest of this reply is skipped too`));
                return 'quit';
              }
              groupAnswers.set(request.group.id, answer);
              if (answer !== 'each') return answer;
            }
            view.preview(request);
            return askFile(request);
          },
          async confirmCommand(command: string, warning: string | null): Promise<boolean> {
            spinner.stop();
            if (warning) r.warn(warning);
            return askKey(
              { stdin: options.stdin, stdout: r.stderr },
              warning ? `Run \`${command}\` without a sandbox?` : `Run \`${command}\`?`,
              [
                { key: 'y', label: 'run it', value: true },
                { key: 'n', label: 'do not run it', value: false },
              ],
              { onInterrupt: false },
            );
          },
          async approveToolCall(info: ToolCallApproval): Promise<'yes' | 'no' | 'always'> {
            spinner.stop();
            if (view.shown > 0 && options.streamReply) {
              options.replyTo.write('\n');
              view.shown = 0;
            }
            r.stderr.write(`${r.err.bold('MCP call')} ${r.err.dim('server')} ${info.server} ${r.err.dim('tool')} ${info.tool}\n${indent(shownArguments(info.arguments))}\n`);
            return askKey(
              { stdin: options.stdin, stdout: r.stderr },
              `Run ${info.server}/${info.tool}?`,
              [
                { key: 'y', label: 'run this call', value: 'yes' as const },
                { key: 'n', label: 'do not run it (the model is told)', value: 'no' as const },
                { key: 'a', label: `run it, and every later call of ${info.server}/${info.tool} in this session`, value: 'always' as const },
              ],
              { onInterrupt: 'no' as const },
            );
          },
          async confirmAddFiles(files: readonly string[]): Promise<string[]> {
            spinner.stop();
            const added: string[] = [];
            for (const file of files) {
              const answer = await askKey(
                { stdin: options.stdin, stdout: r.stderr },
                `Add ${file} to the chat?`,
                [
                  { key: 'y', label: 'add it', value: 'yes' as const },
                  { key: 'n', label: 'do not add it', value: 'no' as const },
                  { key: 'a', label: 'add it and every other file the reply named', value: 'all' as const },
                ],
                { onInterrupt: 'no' as const },
              );
              if (answer === 'all') return [...added, ...files.slice(files.indexOf(file))];
              if (answer === 'yes') added.push(file);
            }
            return added;
          },
        }
      : {}),
  };
  return view;
}

/** The arguments of an MCP call as the approval shows them: pretty JSON, long values and long lists cut. */
function shownArguments(args: Record<string, unknown>): string {
  const text = JSON.stringify(args, (_key, value: unknown) => (typeof value === 'string' && value.length > 400 ? `${value.slice(0, 400)}… (${value.length} characters)` : value), 2) ?? '{}';
  const lines = text.split('\n');
  return lines.length > 40 ? [...lines.slice(0, 40), `… ${lines.length - 40} more lines`].join('\n') : text;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}
