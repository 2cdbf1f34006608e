import { AssistError, ExitCode } from '../errors.js';
import { markPhase } from '../obs/phases.js';
import { baseSessionOptions, chooseSessionModel, sessionFlags, type AssistCommand, type SessionCommandOptions } from './base.js';

export interface RunOnceOptions extends SessionCommandOptions {
  message: string;
  json: boolean;
}

/**
 * `assist run -m MESSAGE` and `assist MESSAGE`: one request (plus reflections), then exit with the
 * code of DESIGN.md §3.
 */
export async function runOnce(command: AssistCommand, options: RunOnceOptions): Promise<number> {
  const { context } = command;
  const reporter = command.reporter;
  const flags = sessionFlags(options);
  const repo = await command.repo();
  const loaded = await command.config(flags, repo);
  const model = await chooseSessionModel(command, loaded, options.model);
  markPhase('cli.configured');
  const stdin = context.stdin as NodeJS.ReadStream;
  const interactive = stdin.isTTY === true && reporter.stderrIsTTY && !options.json;

  const { createSession } = await import('../session/index.js');
  const { createTurnView } = await import('../ui/turn-view.js');
  const view = createTurnView({ reporter, stdin, streamReply: !options.json, replyTo: context.stdout, interactive, verbose: context.globals.verbose });
  const session = await createSession({
    ...baseSessionOptions(command, loaded.config, { ...options, model }),
    prefetch: options.message,
    interactive,
    mode: 'run',
    ui: view,
    command: 'assist run',
  });
  // Ctrl-C stops the reply and applies nothing from it; registered only once there is a session to close.
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  markPhase('session.opened');
  try {
    const result = await session.ask(options.message, controller.signal);
    markPhase('turn.done');
    if (view.shown > 0) context.stdout.write('\n');
    if (options.json) {
      reporter.json({
        session: result.session,
        branch: result.branch,
        commits: result.commits,
        files: result.files,
        usage: result.usage,
        model: result.model,
        steps: result.steps,
        tool_calls: result.toolCalls,
        ...(result.stepLimit ? { step_limit: true } : {}),
        failed: result.failed,
        ...(result.failedBlocks?.length ? { failed_blocks: result.failedBlocks.map((b) => ({ file: b.file, first_line: b.firstLine })) } : {}),
        refused: result.refused,
        dry_run: options.dryRun,
        proposed: result.proposed.map((p) => p.path),
        requests: result.requests,
        ...(result.tests ? { tests: result.tests.status } : {}),
        reply: result.reply,
      });
    }
    if (result.stepLimit) {
      throw new AssistError('session.step-limit', `stopped after ${result.steps} model requests without a final answer (session.max_steps)${result.commits.length > 0 ? `; ${result.commits.length} approved commit${result.commits.length === 1 ? '' : 's'} kept` : ''}`, {
        hint: 'raise session.max_steps (or --max-steps), or split the task',
      });
    }
    if (result.noChange) {
      if (!options.json) reporter.info('the model proposed no change');
      return ExitCode.nothingToDo;
    }
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
      throw new AssistError('edits.failed', `the model's edits did not apply after ${loaded.config.session.maxReflections} tries`, {
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
  } finally {
    process.off('SIGINT', onSigint);
    session.close();
    markPhase('session.closed');
  }
}
