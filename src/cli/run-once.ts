import { AssistError, ExitCode, usageError } from '../errors.js';
import { markPhase } from '../obs/phases.js';
import type { Config } from '../config/types.js';
import type { TurnResult } from '../session/types.js';
import { baseSessionOptions, chooseSessionModel, enterWorktree, sessionFlags, type AssistCommand, type SessionCommandOptions } from './base.js';
import { mergeReviews, reviewJson } from '../review/index.js';

export interface RunOnceOptions extends SessionCommandOptions {
  message: string;
  json: boolean;
  /** `--json-stream`: JSON lines on stdout as the turn goes (docs/json-stream.md). */
  jsonStream?: boolean;
  /** `--max-steps N`, as typed (checked here). */
  maxSteps?: string | undefined;
  /** `--max-cost USD`, as typed (checked here). */
  maxCost?: string | undefined;
  /** `--plan`: read-only tools, print the plan, write nothing. */
  plan?: boolean;
  /** `--worktree[=NAME]`: run in a linked worktree on its own session branch (DESIGN §6b). */
  worktree?: string | boolean | undefined;
}

/**
 * `assist run -m MESSAGE` and `assist MESSAGE`: one request (plus reflections), then exit with the
 * code of DESIGN.md §3.
 */
export async function runOnce(command: AssistCommand, options: RunOnceOptions): Promise<number> {
  const { context } = command;
  const reporter = command.reporter;
  if (options.json && options.jsonStream) throw usageError('cli.json-and-stream', '--json and --json-stream cannot be used together', 'use --json for one object at the end, or --json-stream for lines as the turn goes (its `end` line carries the same object)');
  const maxSteps = options.maxSteps === undefined ? undefined : parseMaxSteps(options.maxSteps);
  const maxCost = options.maxCost === undefined ? undefined : parseMaxCost(options.maxCost);
  const machine = options.json || options.jsonStream === true;
  const { createJsonStream } = options.jsonStream ? await import('../ui/json-stream.js') : { createJsonStream: null };
  const { createTurnView } = await import('../ui/turn-view.js');
  const stdin = context.stdin as NodeJS.ReadStream;
  const interactive = stdin.isTTY === true && reporter.stderrIsTTY && !machine;
  const view = createTurnView({ reporter, stdin, streamReply: !machine, replyTo: context.stdout, interactive, verbose: context.globals.verbose });
  const stream = createJsonStream ? createJsonStream(context.stdout, view) : null;
  let report: Record<string, unknown> | undefined;
  try {
    const flags = sessionFlags(options);
    const repo = await command.repo();
    const loaded = await command.config(flags, repo);
    const model = await chooseSessionModel(command, loaded, options.model);
    markPhase('cli.configured');
    if (maxCost !== undefined) await refuseUnpricedModels(loaded.config, model);
    // Config and model are the person's, read where they typed the command; the work happens in the worktree.
    const worktree = options.worktree === undefined || options.worktree === false ? null : await enterWorktree(command, options.worktree, options);

    const { createSession } = await import('../session/index.js');
    const session = await createSession({
      ...baseSessionOptions(command, loaded.config, { ...options, model }),
      ...(worktree ? { cwd: worktree.cwd } : {}),
      prefetch: options.message,
      interactive,
      mode: 'run',
      ui: stream?.ui ?? view,
      command: 'assist run',
      ...(maxSteps !== undefined ? { maxSteps } : {}),
      ...(maxCost !== undefined ? { maxCost } : {}),
      ...(options.plan ? { plan: true } : {}),
    });
    // Ctrl-C stops the reply and applies nothing from it; registered only once there is a session to close.
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.once('SIGINT', onSigint);
    markPhase('session.opened');
    try {
      stream?.line({
        type: 'start',
        v: 1,
        command: 'run',
        session: session.sessionId,
        branch: session.branch,
        model: session.model,
        message: options.message,
        files: session.files,
        plan: options.plan === true,
        dry_run: options.dryRun,
        max_steps: maxSteps ?? loaded.config.session.maxSteps,
        max_cost: maxCost ?? null,
      });
      const result = await session.ask(options.message, controller.signal);
      markPhase('turn.done');
      if (view.shown > 0) context.stdout.write('\n');
      report = { ...runReport(result, options), ...(worktree ? { worktree: worktree.path } : {}) };
      if (options.json) reporter.json(report);
      const code = exitCodeOf(result, options, loaded.config, maxCost);
      if (code === ExitCode.nothingToDo && !options.json) reporter.info('the model proposed no change');
      if (result.plan && !options.json) reporter.info(reporter.err.dim('plan mode: nothing was changed; run without --plan (or `/go` in a chat) to carry it out'));
      stream?.line({ type: 'end', ...report, exit_code: code });
      return code;
    } finally {
      process.off('SIGINT', onSigint);
      session.close();
      markPhase('session.closed');
    }
  } catch (error) {
    if (stream && !stream.ended) {
      const failure = error instanceof AssistError ? { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } : { code: 'unexpected', message: error instanceof Error ? error.message : String(error) };
      stream.line({ type: 'end', ...(report ?? {}), error: failure, exit_code: error instanceof AssistError ? error.exitCode : ExitCode.failure });
    }
    throw error;
  }
}

/** The object `--json` prints and the `end` line of `--json-stream` carries (DESIGN §3). */
function runReport(result: TurnResult, options: RunOnceOptions): Record<string, unknown> {
  return {
    session: result.session,
    branch: result.branch,
    commits: result.commits,
    files: result.files,
    usage: result.usage,
    model: result.model,
    steps: result.steps,
    tool_calls: result.toolCalls,
    ...(result.stepLimit ? { step_limit: true } : {}),
    ...(result.costLimit ? { cost_limit: true } : {}),
    ...(result.plan ? { plan: result.plan.text, plan_files: result.plan.files } : {}),
    failed: result.failed,
    ...(result.failedBlocks?.length ? { failed_blocks: result.failedBlocks.map((b) => ({ file: b.file, first_line: b.firstLine })) } : {}),
    refused: result.refused,
    dry_run: options.dryRun,
    proposed: result.proposed.map((p) => p.path),
    review: reviewJson(mergeReviews(result.review ?? [])),
    requests: result.requests,
    ...(result.tests ? { tests: result.tests.status } : {}),
    reply: result.reply,
  };
}

/** The exit code of a finished turn (DESIGN §3), or the error that says why it failed. */
function exitCodeOf(result: TurnResult, options: RunOnceOptions, config: Config, maxCost: number | undefined): number {
  const kept = result.commits.length > 0 ? `; ${result.commits.length === 1 ? 'the approved edit stays' : `the ${result.commits.length} approved edits stay`} committed` : '';
  if (result.stepLimit) {
    throw new AssistError('session.step-limit', `stopped after ${result.steps} model requests without a final answer (session.max_steps)${result.commits.length > 0 ? `; ${result.commits.length} approved commit${result.commits.length === 1 ? '' : 's'} kept` : ''}`, {
      hint: 'raise session.max_steps (or --max-steps), or split the task',
    });
  }
  if (result.costLimit) {
    const spent = result.usage.cost_usd === null ? 'the turn cost is no longer known (a model without a price answered)' : `the turn cost $${result.usage.cost_usd.toFixed(4)}`;
    throw new AssistError('session.cost-limit', `stopped: ${spent}, over --max-cost ${maxCost ?? ''}${kept}`, {
      hint: 'raise --max-cost, or split the task',
      data: { cost_usd: result.usage.cost_usd, max_cost: maxCost ?? null, commits: result.commits },
    });
  }
  if (options.plan && result.plan) return ExitCode.ok;
  if (result.noChange) return ExitCode.nothingToDo;
  const needsApproval = result.refused.filter((r) => r.reason === 'needs approval');
  if (needsApproval.length > 0 && result.commits.length === 0 && !options.dryRun) {
    const files = needsApproval.map((r) => r.file).join(', ');
    // With --yes only protected files still ask: telling the person to add --yes would send them round in a circle.
    throw new AssistError(
      'approval.missing',
      options.yes ? `edits not applied: protected files are asked about even with --yes, and there is no terminal to ask (${files})` : `edits not applied: no terminal to approve them (${files})`,
      {
        hint: options.yes ? 'run it in a terminal to approve them, or make that change yourself' : 'rerun with --yes to apply them, or --dry-run to only see them; protected files need a terminal',
        exitCode: ExitCode.refused,
      },
    );
  }
  if (result.commits.length === 0 && !options.dryRun && result.refused.length > 0) return ExitCode.refused;
  if (result.failed > 0 && result.commits.length === 0 && !options.dryRun) {
    throw new AssistError('edits.failed', `the model's edits did not apply after ${config.session.maxReflections} tries`, {
      hint: 'add the files it should edit (`assist run -m ... FILE`), or rephrase the request',
    });
  }
  if (result.failed > 0 && result.commits.length > 0 && !options.dryRun) {
    // What applied stays committed; the person must still hear what did not (issue 24 item 11).
    const blocks = (result.failedBlocks ?? []).map((b) => `${b.file} (${JSON.stringify(b.firstLine)})`);
    const named = blocks.length > 0 ? `: ${blocks.join(', ')}` : '';
    throw new AssistError('edits.partly-applied', `partly applied: ${result.failed} edit block${result.failed === 1 ? '' : 's'} did not apply${named}; the rest is committed`, {
      data: { failed: result.failedBlocks ?? [], commits: result.commits },
    });
  }
  return ExitCode.ok;
}

/** `--max-steps N`: a whole number of at least 1. */
export function parseMaxSteps(text: string): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw usageError('cli.bad-max-steps', `--max-steps must be a whole number of at least 1, not '${text}'`, 'for example `--max-steps 10`');
  return n;
}

/** `--max-cost USD`: a positive number of US dollars (`0.5`, `2`). */
export function parseMaxCost(text: string): number {
  const n = Number(text.trim().replace(/^\$/, ''));
  if (!/^\s*\$?(\d+(\.\d*)?|\.\d+)\s*$/.test(text) || !Number.isFinite(n) || n <= 0) throw usageError('cli.bad-max-cost', `--max-cost must be a positive number of US dollars, not '${text}'`, 'for example `--max-cost 0.50`');
  return n;
}

/**
 * `--max-cost` is kept only at known prices: the model, the weak model (commit messages) and the
 * fallback models must all have one, or it is refused before any request (a usage error).
 */
export async function refuseUnpricedModels(config: Config, model: string): Promise<void> {
  const { lookupModel } = await import('../llm/registry.js');
  const models = [...new Set([model, ...(config.weakModel ? [config.weakModel] : []), ...config.fallback])];
  const unpriced = models.filter((name) => {
    const info = lookupModel(name, config.models);
    return info.inputPrice === undefined || info.outputPrice === undefined;
  });
  if (unpriced.length === 0) return;
  const first = unpriced[0] ?? model;
  throw usageError(
    'cli.max-cost-unpriced',
    `--max-cost needs every model's price, and assist knows none for ${unpriced.join(', ')}`,
    `set models."${first}".input_price and output_price (US dollars per million tokens) in config, or drop --max-cost`,
  );
}
