import { Command, Option } from 'clipanion';
import { AssistCommand, baseSessionOptions, chooseSessionModel, enterWorktree, reportError, sessionFlags, type SessionCommandOptions } from '../base.js';
import { usageError } from '../../errors.js';

export class ChatCommand extends AssistCommand {
  static override paths = [['chat']];
  static override usage = Command.Usage({
    description: 'talk with the model about this repository; approved edits become commits',
    details: `
      Starts an interactive session. On a branch that is not a session branch, the chat's first edit creates \`assist/<session-id>\` from HEAD and switches to it, carrying your uncommitted work along untouched (questions alone leave HEAD where it is); a chat on a session branch continues that session.

      Every edit the model proposes is shown as a diff and applied only when you approve it; each approved reply becomes one commit on the session branch. Type \`/help\` inside the chat for its slash commands (\`/add /drop /ls /undo /redo /diff /commit /checkpoint /tokens /map /model /run /test /plan /go /clear /help /exit\`).

      \`--plan\` (or \`/plan\` in the chat) is plan mode: the model gets only the read-only tools and answers with a numbered plan naming files; nothing is changed. \`/go\` carries out the plan in act mode, with the plan in the conversation.

      FILES are added to the chat (paths relative to the current directory, as in git).
    `,
    examples: [
      ['Chat about two files', '$0 chat src/app.ts src/app.test.ts'],
      ['Use another model', '$0 chat --model openai/gpt-4.1'],
      ['Continue the last session of this branch', '$0 chat --resume'],
      ['Work on the current branch, without a session branch', '$0 chat --no-branch'],
      ['Plan first, then /go', '$0 chat --plan'],
    ],
  });

  files = Option.Rest({ name: 'FILES' });
  model = Option.String('--model', { description: 'provider/model to use (overrides ASSIST_MODEL and config)' });
  yes = Option.Boolean('--yes', false, { description: 'apply edits without asking (protected files still ask)' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'show the diffs; write and commit nothing' });
  noBranch = Option.Boolean('--no-branch', false, { description: 'record the session on the current branch' });
  resume = Option.String('--resume', { tolerateBoolean: true, description: 'rebuild the conversation of a session (the latest, or ID)' });
  autoTest = Option.Boolean('--auto-test', false, { description: 'run the test command after each edit' });
  plan = Option.Boolean('--plan', false, { description: 'start in plan mode: read-only tools, answers end with a plan; /go carries it out' });
  worktree = Option.String('--worktree', { tolerateBoolean: true, description: 'work in a linked worktree on its own session branch (NAME reuses one)' });
  maxSteps = Option.String('--max-steps', { description: 'model requests one turn may make (overrides session.max_steps)' });
  maxCost = Option.String('--max-cost', { description: 'US dollars one turn may cost at the registry prices; over it the turn stops, approved edits stay' });

  async run(): Promise<number> {
    return startChat(this, {
      files: this.files,
      model: this.model,
      yes: this.yes,
      dryRun: this.dryRun,
      noBranch: this.noBranch,
      resume: this.resume === undefined || this.resume === false ? undefined : this.resume,
      autoTest: this.autoTest,
      plan: this.plan,
      maxSteps: this.maxSteps,
      maxCost: this.maxCost,
      worktree: this.worktree,
    });
  }
}

export interface ChatOptions extends SessionCommandOptions {
  resume?: string | true | undefined;
  /** `--plan`: the chat starts in plan mode. */
  plan?: boolean;
  /** `--max-steps N`, as typed. */
  maxSteps?: string | undefined;
  /** `--max-cost USD`, as typed. */
  maxCost?: string | undefined;
  /** `--worktree[=NAME]`: the chat works in a linked worktree on its own session branch (DESIGN §6b). */
  worktree?: string | boolean | undefined;
}

/** Starts the interactive chat (also what a bare `assist` does on a terminal). */
export async function startChat(command: AssistCommand, options: ChatOptions): Promise<number> {
  const { context } = command;
  const reporter = command.reporter;
  const { parseMaxSteps, parseMaxCost, refuseUnpricedModels } = await import('../run-once.js');
  const maxSteps = options.maxSteps === undefined ? undefined : parseMaxSteps(options.maxSteps);
  const maxCost = options.maxCost === undefined ? undefined : parseMaxCost(options.maxCost);
  const flags = sessionFlags(options);
  const repo = await command.repo();
  const loaded = await command.config(flags, repo);
  const model = await chooseSessionModel(command, loaded, options.model);
  if (maxCost !== undefined) await refuseUnpricedModels(loaded.config, model);
  if (options.worktree !== undefined && options.worktree !== false && options.resume !== undefined) throw usageError('cli.worktree-resume', '--worktree and --resume cannot be used together', 'to go on with a worktree session, use --worktree=NAME again, or run `assist chat --resume` inside its worktree');
  // Config and model are the person's, read where they typed the command; the work happens in the worktree.
  const worktree = options.worktree === undefined || options.worktree === false ? null : await enterWorktree(command, options.worktree, options);
  const workCwd = worktree?.cwd ?? context.cwd;
  const workRoot = worktree?.path ?? repo.root;
  const stdin = context.stdin as NodeJS.ReadStream;
  const interactive = stdin.isTTY === true;
  const { createSession } = await import('../../session/index.js');
  const { createTurnView } = await import('../../ui/turn-view.js');
  const { chatLoop } = await import('../../ui/chat-loop.js');
  const { watchConfig, loadConfig } = await import('../../config/index.js');
  const view = createTurnView({ reporter, stdin, streamReply: true, replyTo: context.stdout, interactive, verbose: context.globals.verbose });
  const session = await createSession({
    ...baseSessionOptions(command, loaded.config, { ...options, model }),
    ...(worktree ? { cwd: worktree.cwd } : {}),
    interactive,
    mode: 'chat',
    ui: view,
    ...(options.resume !== undefined ? { resume: options.resume } : {}),
    ...(maxSteps !== undefined ? { maxSteps } : {}),
    ...(maxCost !== undefined ? { maxCost } : {}),
    ...(options.plan ? { plan: true } : {}),
    command: 'assist chat',
  });
  if (options.resume !== undefined) reporter.info(reporter.err.dim(`resumed session ${session.sessionId} with ${session.conversation.length} exchanges`));
  // A running chat picks up edits to either config file (DESIGN.md §5).
  const watcher = watchConfig([loaded.userFile, loaded.projectFile ?? `${repo.root}/.assist.toml`], () => {
    loadConfig({ env: context.env, repoRoot: repo.root, flags })
      .then((next) => {
        session.setConfig(next.config);
        reporter.info(reporter.err.dim('config reloaded'));
      })
      .catch((error: unknown) => reportError(error, reporter));
  });
  try {
    return await chatLoop({
      session,
      view,
      reporter,
      stdin,
      stdout: context.stdout,
      ...(maxCost !== undefined ? { maxCost, vetModel: (name: string) => refuseUnpricedModels(loaded.config, name) } : {}),
      showMap: async () => {
        const { buildRepoMap } = await import('../../context/index.js');
        const map = await buildRepoMap({ cwd: workRoot, tokens: loaded.config.context.mapTokens, focusFiles: session.files, env: context.env });
        return map.text || '(the map is empty: no source files the tagger knows)';
      },
      search: async (query) => {
        const { searchCode, describeHit, vectorSetup } = await import('../../context/index.js');
        // context.embeddings: the stored vectors and the query's, as `assist search` fuses them (no file is embedded here).
        const lexical: { notice?: string } = {};
        const vectors = loaded.config.context.embeddings
          ? await vectorSetup(loaded.config, context.env, repo, 'chat').catch((error: unknown) => {
              lexical.notice = `${error instanceof Error ? error.message : String(error)}; search is lexical only`;
              return undefined;
            })
          : undefined;
        const found = await searchCode({
          cwd: workRoot,
          query,
          k: 5,
          maxFileBytes: loaded.config.context.maxFileBytes,
          env: context.env,
          ...(vectors ? { requestVectors: { embedder: vectors.embedder, audit: vectors.audit, ...(vectors.weight !== undefined ? { weight: vectors.weight } : {}) } } : {}),
        });
        const notice = lexical.notice ?? found.notice;
        if (notice !== undefined) command.obs?.logger.warn('context.vectors-unavailable', { error: notice });
        const head = notice === undefined ? '' : `warning: ${notice}\n\n`;
        if (found.hits.length === 0) return `${head}no chunks match: try other words, or the names of what you are looking for`;
        return head + found.hits.map((h) => `${h.file}:${h.start}-${h.end}  (${describeHit(h)})\n${h.text.replace(/\s+$/, '')}\n`).join('\n');
      },
      explain: async (input, signal) => {
        const { explain } = await import('../../session/index.js');
        const result = await explain({
          cwd: workCwd,
          env: context.env,
          config: loaded.config,
          model: session.model,
          ...(command.obs ? { logger: command.obs.logger, metrics: command.obs.metrics } : {}),
          input,
          ui: view,
          interactive: false,
          command: 'assist chat /explain',
          signal,
        });
        return result.turn;
      },
      onError: (error) => reportError(error, reporter),
    });
  } finally {
    watcher.close();
    session.close();
  }
}
