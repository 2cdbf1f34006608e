import { isAssistError } from '../errors.js';
import { isEnvFileName, needsApproval, runCommand, type ApprovalRequired, type CommandResult } from '../sandbox/index.js';
import { capTail, charBudget } from './cap.js';
import { changedPaths, dirtySnapshot } from './changes.js';
import { failure } from './common.js';
import type { ToolContext, ToolOutcome } from './types.js';

/** Whether a model-requested command may run, and how. */
export type CommandDecision = { run: true; approved: boolean; sandboxed: boolean } | { run: false; code: string; text: string; status: string };

/** One line of a command for status lines and messages. */
export function commandLabel(command: string, max = 60): string {
  const first = command.trim().split('\n')[0] ?? '';
  const line = first.length < command.trim().length ? `${first} …` : first;
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * The approval policy of DESIGN.md §5 `approval.commands` and §7 for one command:
 * `never` refuses; `sandboxed` runs only under bubblewrap; `ask` runs under bubblewrap without a
 * prompt with `--yes` (and refuses what bubblewrap cannot confine), else asks the person, warning
 * when the command would run unconfined; with nobody to ask it is refused.
 */
export async function decideCommand(ctx: ToolContext, command: string, verb: string): Promise<CommandDecision> {
  const label = commandLabel(command);
  const refuse = (code: string, text: string, why: string): CommandDecision => ({ run: false, code, text, status: `${verb} ${label}: ${why}` });
  const policy = ctx.config.approval.commands;
  if (policy === 'never') {
    return refuse('approval.commands-never', 'Not run: running commands is turned off here (approval.commands = "never"). Do without it, or ask the person to run it.', 'refused');
  }
  let unconfined: ApprovalRequired | null;
  try {
    unconfined = await needsApproval(ctx.config.sandbox.commands);
  } catch (error) {
    // sandbox.commands = "bwrap" on a machine where bubblewrap does not work.
    return refuse('sandbox.bwrap-unavailable', `Not run: ${isAssistError(error) ? error.message : String(error)}.`, 'no sandbox');
  }
  const sandboxed = unconfined === null;
  if (policy === 'sandboxed') {
    if (sandboxed) return { run: true, approved: false, sandboxed };
    return refuse('approval.command-unconfined', `Not run: approval.commands is "sandboxed" and commands cannot be confined here (${unconfined?.reason ?? 'no sandbox'}).`, 'refused, no sandbox');
  }
  if (ctx.yes) {
    if (sandboxed) return { run: true, approved: false, sandboxed };
    return refuse('approval.command-unconfined', `Not run: --yes runs only bubblewrap-confined commands, and commands cannot be confined here (${unconfined?.reason ?? 'no sandbox'}).`, 'refused, no sandbox');
  }
  if (!ctx.interactive || ctx.confirmCommand === undefined) {
    return refuse('approval.command-needs-approval', 'Not run: the command needs approval and nobody can answer a prompt now. Do without it.', 'needs approval');
  }
  const yes = await ctx.confirmCommand(command, unconfined?.warning ?? null);
  if (!yes) return refuse('approval.command-declined', 'Not run: declined by the person.', 'declined');
  return { run: true, approved: !sandboxed, sandboxed };
}

function describeEnd(r: CommandResult, timeoutMs: number): string {
  const how = `${r.sandboxed ? 'confined by bubblewrap' : 'unconfined'}, ${(r.durationMs / 1000).toFixed(1)} s`;
  if (r.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)} s and was stopped (${how})`;
  if (r.code === null) return `killed by ${r.signal ?? 'a signal'} (${how})`;
  return `exit ${r.code} (${how})`;
}

/** stdout and stderr tails within `budget` characters, labelled when both have something. */
export function outputTail(stdout: string, stderr: string, budget: number): string {
  const out = stdout.replace(/\s+$/, '');
  const err = stderr.replace(/\s+$/, '');
  if (out === '' && err === '') return '(no output)';
  if (err === '') return capTail(out, budget);
  if (out === '') return capTail(err, budget);
  // stderr usually holds the error the model needs; stdout the longer log.
  const errShare = Math.min(err.length, Math.max(Math.floor(budget / 3), budget - out.length));
  return `[stdout]\n${capTail(out, budget - errShare)}\n[stderr]\n${capTail(err, errShare)}`;
}

export interface CommandRunOptions {
  /** `run` or `test`: the status line's verb. */
  verb: string;
  timeoutMs: number;
  /** First line of the result, before the exit line (run_tests names the command). */
  heading?: string;
}

/**
 * Runs a model-requested command after {@link decideCommand}, through `sandbox.runCommand`
 * (provider keys and tokens never in its environment, audited as a `command` event), and reports
 * the exit, the output's tail and the files it changed. A refusal is audited as a denial.
 */
export async function runModelCommand(ctx: ToolContext, command: string, options: CommandRunOptions): Promise<ToolOutcome> {
  const label = commandLabel(command);
  const decision = await decideCommand(ctx, command, options.verb);
  if (!decision.run) {
    await ctx.audit.append({ op: 'deny', path: command, result: 'refused', reason: decision.text, code: decision.code, requestId: ctx.requestId });
    return failure(decision.text, decision.status);
  }
  const before = await dirtySnapshot(ctx);
  let r: CommandResult;
  try {
    r = await runCommand(command, {
      root: ctx.root,
      gitDir: ctx.gitDir,
      commonDir: ctx.commonDir,
      mode: ctx.config.sandbox.commands,
      env: ctx.env,
      timeoutMs: options.timeoutMs,
      approved: decision.approved,
      audit: ctx.audit,
      requestId: ctx.requestId,
      ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
    });
  } catch (error) {
    const message = isAssistError(error) ? `${error.message}${error.hint ? ` (${error.hint})` : ''}` : String(error);
    return failure(`The command could not run: ${message}.`, `${options.verb} ${label}: could not run`);
  }
  if (r.aborted) return failure('The command was interrupted.', `${options.verb} ${label}: interrupted`);

  const changed = before === null ? [] : changedPaths(before, (await dirtySnapshot(ctx)) ?? before);
  // A command may write a .env file; it is not committed with the step unless the person added it.
  const secret = changed.filter((path) => isEnvFileName(path.slice(path.lastIndexOf('/') + 1)) && !ctx.addedByName.has(path));
  const changedFiles = changed.filter((path) => !secret.includes(path));

  const end = describeEnd(r, options.timeoutMs);
  const notes: string[] = [];
  if (changedFiles.length > 0) notes.push(`Files changed by the command: ${changedFiles.slice(0, 50).join(', ')}${changedFiles.length > 50 ? `, … and ${changedFiles.length - 50} more` : ''}`);
  if (secret.length > 0) notes.push(`Changed but not committed (.env files): ${secret.join(', ')}`);
  const head = [options.heading, end].filter((line) => line !== undefined).join('\n');
  const reserve = head.length + notes.join('\n').length + 64;
  const text = [head, outputTail(r.stdout, r.stderr, Math.max(200, charBudget(ctx.config.tools.maxResultTokens) - reserve)), ...notes].join('\n');
  const exit = r.timedOut ? 'timed out' : r.code === null ? `killed (${r.signal ?? 'signal'})` : `exit ${r.code}`;
  return { kind: 'result', ok: r.code === 0 && !r.timedOut, text, status: `${options.verb} ${label} → ${exit}`, ...(changedFiles.length > 0 ? { changedFiles } : {}) };
}
