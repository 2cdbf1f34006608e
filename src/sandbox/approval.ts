import picomatch from 'picomatch';
import { classifyProtected } from './protected.js';

/** Progressive trust gathered from the person's answers during one session. */
export interface ApprovalState {
  /** Repo-relative files answered "always for this file". */
  alwaysFiles: ReadonlySet<string>;
  /** Answered "always this session": later edits to unprotected files need no prompt. */
  alwaysSession: boolean;
}

/** `approval.*` of the config. */
export interface ApprovalConfig {
  /** `approval.auto_approve`: picomatch globs; a glob without `/` matches the base name anywhere. */
  autoApprove: readonly string[];
  /** `approval.require_confirmation`: false approves unprotected edits without a prompt. */
  requireConfirmation: boolean;
}

/** What the command line and the terminal say. */
export interface ApprovalFlags {
  yes: boolean;
  dryRun: boolean;
  isTTY: boolean;
  /** `pr` refuses protected files unless `allowProtected`; chat and run ask. Default 'chat'. */
  mode?: 'chat' | 'run' | 'pr';
  /** The `pr` flag that lets it edit protected files. */
  allowProtected?: boolean;
}

/**
 * - `auto`: write without asking.
 * - `ask`: show the full diff and ask.
 * - `protected-ask`: ask even with `--yes` or "always this session" (assist config, hooks, CI, lockfiles).
 * - `refuse-non-tty`: an answer is needed and there is no terminal to ask: write nothing, exit 3.
 * - `refuse-protected`: `pr` mode and a protected file without the flag that allows it.
 * - `dry-run`: show the diff, write nothing.
 */
export type ApprovalDecision = 'auto' | 'ask' | 'protected-ask' | 'refuse-non-tty' | 'refuse-protected' | 'dry-run';

/** The answers a prompt offers. */
export type ApprovalAnswer = 'yes' | 'no' | 'always-file' | 'always-session' | 'quit';

/** What an answer means for this file and the rest of the batch. */
export interface AnswerOutcome {
  state: ApprovalState;
  /** Write this file. */
  write: boolean;
  /** Stop asking: the remaining files of the batch are not written. */
  stop: boolean;
}

export function initialApprovalState(): ApprovalState {
  return { alwaysFiles: new Set(), alwaysSession: false };
}

const matcherCache = new Map<string, (path: string) => boolean>();

function matcherFor(globs: readonly string[]): (path: string) => boolean {
  const key = globs.join('\0');
  let matcher = matcherCache.get(key);
  if (matcher === undefined) {
    const matchers = globs.map((glob) => picomatch(glob.replace(/^\.\//, ''), { dot: true, basename: !glob.includes('/') }));
    matcher = (path: string) => matchers.some((m) => m(path));
    if (matcherCache.size > 64) matcherCache.clear();
    matcherCache.set(key, matcher);
  }
  return matcher;
}

/** Whether `approval.auto_approve` covers the repo-relative posix path `file`. */
export function isAutoApproved(file: string, globs: readonly string[]): boolean {
  return globs.length > 0 && matcherFor(globs)(file);
}

/**
 * Decides, without prompting, how an edit to the repo-relative posix path `file` is approved
 * (DESIGN.md §3 and §5, issue 4 point 4). Precedence: dry run; protected files (never
 * covered by `--yes`, auto-approve globs or "always this session", only by an explicit
 * "always for this file"); then the person's earlier answers, `--yes`, the globs and
 * `require_confirmation`; without a terminal, whatever still needs an answer is refused.
 */
export function decideApproval(file: string, state: ApprovalState, config: ApprovalConfig, flags: ApprovalFlags): ApprovalDecision {
  if (flags.dryRun) return 'dry-run';
  if (classifyProtected(file) !== undefined) {
    if (flags.mode === 'pr') return flags.allowProtected ? 'auto' : 'refuse-protected';
    if (state.alwaysFiles.has(file)) return 'auto';
    return flags.isTTY ? 'protected-ask' : 'refuse-non-tty';
  }
  if (state.alwaysSession || state.alwaysFiles.has(file)) return 'auto';
  if (flags.yes) return 'auto';
  if (isAutoApproved(file, config.autoApprove)) return 'auto';
  if (!config.requireConfirmation) return 'auto';
  return flags.isTTY ? 'ask' : 'refuse-non-tty';
}

/** Folds the person's answer for `file` into the state. Pure: returns a new state. */
export function applyAnswer(state: ApprovalState, file: string, answer: ApprovalAnswer): AnswerOutcome {
  switch (answer) {
    case 'yes':
      return { state, write: true, stop: false };
    case 'no':
      return { state, write: false, stop: false };
    case 'always-file':
      return { state: { ...state, alwaysFiles: new Set([...state.alwaysFiles, file]) }, write: true, stop: false };
    case 'always-session':
      return { state: { ...state, alwaysSession: true }, write: true, stop: false };
    case 'quit':
      return { state, write: false, stop: true };
  }
}

/** Decisions for every file of a batch, in order, as a Map. */
export function planApprovals(files: readonly string[], state: ApprovalState, config: ApprovalConfig, flags: ApprovalFlags): Map<string, ApprovalDecision> {
  return new Map(files.map((file) => [file, decideApproval(file, state, config, flags)]));
}
