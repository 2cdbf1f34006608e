import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Reporter } from './reporter.js';
import type { Session, TurnResult } from '../session/index.js';
import { createTurnView } from './turn-view.js';
import { AssistError, ExitCode } from '../errors.js';
import { describeInstructions } from '../context/instructions-report.js';

export interface ChatLoopOptions {
  session: Session;
  reporter: Reporter;
  stdin: Readable;
  stdout: Writable;
  /** Builds the repo map text for `/map`. */
  showMap: () => Promise<string>;
  /** The search index's best chunks for `/search QUERY`, rendered. */
  search?: (query: string) => Promise<string>;
  /**
   * `/explain TARGET|QUESTION`: a read-only answer (DESIGN §3 `explain`), streamed through the
   * session's view; recorded in the event chain, nothing edited or run.
   */
  explain?: (input: string, signal: AbortSignal) => Promise<TurnResult>;
  /** Called with every error the loop survives, so it reaches the person as one line. */
  onError: (error: unknown) => void;
  /**
   * The view the session streams its replies through (its `shown` says whether a reply is still on
   * an open line). Without it the loop makes its own, for a session that writes elsewhere.
   */
  view?: { shown: number };
  /** `--max-cost USD`: the dollars one turn may cost; a turn stopped over it says so. */
  maxCost?: number;
  /** Refuses a model `/model` may not switch to (one without a price under `--max-cost`). */
  vetModel?: (name: string) => Promise<void>;
}

export const SLASH_COMMANDS: ReadonlyArray<[string, string]> = [
  ['/add FILE...', 'add files to the chat (sent whole with every request)'],
  ['/drop [FILE...]', 'remove files from the chat (all of them without arguments)'],
  ['/ls', 'list the files in the chat'],
  ['/undo [N]', 'undo the last N edits of this session (and their exchanges)'],
  ['/redo', 'restore what the last undo removed'],
  ['/diff', "show this session's last edit commit"],
  ['/commit [MESSAGE]', 'commit your own changes to tracked files on the session branch; or retry a pending batch'],
  ['/checkpoint NAME', 'name the current state (`assist checkpoint restore NAME` goes back)'],
  ['/tokens', 'what the last request carried: system, instructions (the files read), map, files, history; and what was spent'],
  ['/map', 'show the repo map'],
  ['/search QUERY', 'find code by what it does (the chunks `assist search` ranks)'],
  ['/explain TARGET|QUESTION', 'an answer read from the code (read-only tools, cites path:line), no edits'],
  ['/model [NAME]', 'show or switch the model (provider/model)'],
  ['/run CMD', 'run a command (sandboxed when bubblewrap works) and offer its output to the model'],
  ['/test [--all]', 'run the tests (in a workspace: the packages the session changed, or all) and offer failures to the model'],
  ['/plan [MESSAGE]', 'plan mode: read-only tools, answers end with a numbered plan; nothing is changed'],
  ['/go [MESSAGE]', 'leave plan mode and carry out the plan (it stays in the conversation)'],
  ['/clear', 'forget the conversation (files and commits stay)'],
  ['/help', 'this list'],
  ['/exit', 'leave (Ctrl-D does too)'],
];

/**
 * The interactive chat: a line editor with history for input, the reply streamed, single-key
 * approvals, slash commands. Ctrl-C stops a reply (the session stays); at an empty prompt Ctrl-C
 * twice or Ctrl-D leaves.
 */
export async function chatLoop(options: ChatLoopOptions): Promise<number> {
  const { session, reporter: r } = options;
  const history: string[] = [];
  // The session's own view: a reply it streamed that did not end its line is ended before the next line.
  const view = options.view ?? createTurnView({ reporter: r, stdin: options.stdin, streamReply: true, replyTo: options.stdout, interactive: true });
  const out = (text: string): void => {
    options.stdout.write(text.endsWith('\n') ? text : text + '\n');
  };
  out(r.out.dim(`assist chat with ${session.model}${session.files.length ? `, files: ${session.files.join(' ')}` : ''}. /help for commands, Ctrl-D to leave.`));
  if (session.planMode) out(r.out.dim('plan mode: the model reads and plans, nothing is changed; /go carries out the plan'));
  const state: ChatState = { planned: false };

  let interruptArmed = false;
  const isTTY = (options.stdin as NodeJS.ReadStream).isTTY === true;
  // Without a terminal (a pipe or a file), one reader takes every line: a reader per line would lose
  // the lines the previous one had buffered.
  const piped = isTTY ? null : createInterface({ input: options.stdin, terminal: false })[Symbol.asyncIterator]();
  for (;;) {
    const line = piped
      ? await piped.next().then((n) => (n.done ? null : n.value))
      : await readLine(options.stdin, options.stdout, `${session.planMode ? r.out.cyan('plan') : ''}${r.out.bold('>')} `, history, () => {
          if (interruptArmed) return 'exit';
          interruptArmed = true;
          out(r.out.dim('(press Ctrl-C again or Ctrl-D to leave)'));
          return 'retry';
        });
    if (line === null) {
      out('');
      return ExitCode.ok;
    }
    interruptArmed = false;
    const input = line.trim();
    if (input === '') continue;
    history.unshift(line);
    try {
      if (input.startsWith('/')) {
        const done = await slashCommand(input, options, out, state);
        if (done === 'exit') return ExitCode.ok;
        if (typeof done === 'object' && 'ask' in done) await turn(done.ask);
        else if (typeof done === 'object') await turn(done.explain, (signal) => options.explain!(done.explain, signal));
        continue;
      }
      await turn(input);
    } catch (error) {
      options.onError(error);
    }
  }

  async function turn(message: string, ask: (signal: AbortSignal) => Promise<TurnResult> = (signal) => session.ask(message, signal)): Promise<void> {
    const controller = new AbortController();
    const onSigint = (): void => controller.abort();
    process.on('SIGINT', onSigint);
    try {
      const result: TurnResult = await ask(controller.signal);
      if (view.shown > 0) out('');
      view.shown = 0;
      if (result.plan) {
        state.planned = true;
        r.info(r.err.cyan(`plan ready${result.plan.files.length ? ` (${result.plan.files.join(', ')})` : ''}: /go carries it out; ask more to refine it`));
      }
      const spent = result.usage;
      if (result.costLimit) {
        const over = spent.cost_usd === null ? 'its cost could no longer be priced' : `it cost $${spent.cost_usd.toFixed(4)}`;
        const kept = result.commits.length > 0 ? `; ${result.commits.length} approved commit${result.commits.length === 1 ? '' : 's'} kept` : '';
        r.info(r.err.yellow(`stopped: ${over}, over --max-cost ${options.maxCost ?? ''}${kept}. Ask again to go on.`));
      }
      const cost = spent.cost_usd === null ? '' : `, $${spent.cost_usd.toFixed(4)}`;
      const cached = spent.cached_input_tokens ? ` (${spent.cached_input_tokens} cached)` : '';
      const steps = result.steps > 1 ? `${result.steps} requests, ` : '';
      r.info(r.err.dim(`tokens: ${steps}${spent.input_tokens} in${cached}, ${spent.output_tokens} out${spent.estimated ? ' (estimated)' : ''}${cost}`));
    } catch (error) {
      if (view.shown > 0) out('');
      view.shown = 0;
      if (controller.signal.aborted || (error instanceof AssistError && error.exitCode === ExitCode.interrupted)) {
        r.info(r.err.yellow('stopped: nothing from this reply was applied'));
        return;
      }
      throw error;
    } finally {
      process.off('SIGINT', onSigint);
    }
  }
}

type SlashOutcome = 'exit' | 'done' | { ask: string } | { explain: string };

/** What the chat remembers between slash commands: whether a plan was made (for `/go`). */
interface ChatState {
  planned: boolean;
}

async function slashCommand(input: string, options: ChatLoopOptions, out: (text: string) => void, state: ChatState): Promise<SlashOutcome> {
  const { session, reporter: r } = options;
  const [name = '', ...args] = input.split(/\s+/);
  switch (name) {
    case '/exit':
    case '/quit':
      return 'exit';
    case '/help':
      for (const [cmd, what] of SLASH_COMMANDS) out(`  ${cmd.padEnd(18)} ${what}`);
      return 'done';
    case '/add': {
      if (args.length === 0) throw new AssistError('chat.usage', 'usage: /add FILE...', { exitCode: ExitCode.usage });
      const added = await session.addFiles(args);
      out(`added ${added.join(' ')}`);
      return 'done';
    }
    case '/drop': {
      const dropped = session.dropFiles(args);
      out(dropped.length ? `dropped ${dropped.join(' ')}` : 'no such file in the chat');
      return 'done';
    }
    case '/ls':
      out(session.files.length ? session.files.join('\n') : 'no files in the chat (the repo map stands for the rest)');
      return 'done';
    case '/undo': {
      const count = args[0] === undefined ? 1 : Number(args[0]);
      if (!Number.isInteger(count) || count < 1) throw new AssistError('chat.usage', 'usage: /undo [N], N a positive number', { exitCode: ExitCode.usage });
      const result = await session.undo(count);
      out(`undid ${result.undone} edit${result.undone === 1 ? '' : 's'}${result.files.length ? `: ${result.files.join(' ')}` : ''}`);
      return 'done';
    }
    case '/redo': {
      const result = await session.redo();
      out(`redid ${result.redone} edit${result.redone === 1 ? '' : 's'}`);
      return 'done';
    }
    case '/diff': {
      // The session's last edit, never HEAD as such: before any edit that is the person's own commit.
      const commit = await session.lastEditCommit();
      if (commit === null) {
        out('no edit in this session yet');
        return 'done';
      }
      const { execText } = await import('../util/exec.js');
      const shown = await execText('git', ['show', '--stat', '--patch', '--format=%h %s', ...(r.stdoutIsTTY ? ['--color'] : []), commit], { cwd: session.root });
      out(shown.code === 0 ? shown.stdout : 'no commit to show');
      return 'done';
    }
    case '/commit': {
      const message = input.slice(name.length).trim();
      const done = await session.commitOwnChanges(message === '' ? undefined : message);
      if (done.pending === 'committed-by-you') out(`the pending batch was already committed by you as ${done.commit?.slice(0, 10) ?? ''}`);
      else if (done.pending) out(done.commit ? `committed the pending batch as ${done.commit.slice(0, 10)} (${done.files.join(' ')})` : 'the pending batch had nothing left to commit');
      else out(done.commit ? `committed your changes to ${done.files.join(' ')} as ${done.commit.slice(0, 10)} (/undo takes them back out)` : 'nothing to commit: the changed files hold what is committed');
      return 'done';
    }
    case '/checkpoint': {
      if (!args[0]) throw new AssistError('chat.usage', 'usage: /checkpoint NAME', { exitCode: ExitCode.usage });
      const cp = await session.checkpoint(args[0]);
      out(`checkpoint ${cp.name} at ${cp.commit.slice(0, 10)}`);
      return 'done';
    }
    case '/tokens': {
      const t = await session.tokens();
      const pct = (n: number): string => `${((n / t.contextWindow) * 100).toFixed(1)}%`;
      out(`${t.model}, window ${t.contextWindow} tokens (last request)`);
      for (const [label, n] of [['system', t.system], ['instructions', t.instructions], ['repo map', t.map], ['files', t.files], ['history', t.history], ['total', t.total]] as const) {
        out(`  ${label.padEnd(12)} ${String(n).padStart(8)}  ${pct(n)}`);
      }
      for (const line of describeInstructions(t.instructionFiles)) out(`    ${line}`);
      const cost = t.spent.cost_usd === null ? 'price unknown' : `$${t.spent.cost_usd.toFixed(4)}`;
      const cached = t.spent.cached_input_tokens ? ` (${t.spent.cached_input_tokens} read from the prompt cache)` : '';
      out(`  spent        ${t.spent.input_tokens} in${cached}, ${t.spent.output_tokens} out, ${cost}`);
      return 'done';
    }
    case '/map':
      out(await options.showMap());
      return 'done';
    case '/search': {
      if (args.length === 0 || !options.search) throw new AssistError('chat.usage', 'usage: /search QUERY', { exitCode: ExitCode.usage });
      out(await options.search(args.join(' ')));
      return 'done';
    }
    case '/explain':
      if (args.length === 0 || !options.explain) throw new AssistError('chat.usage', 'usage: /explain TARGET|QUESTION', { exitCode: ExitCode.usage });
      return { explain: args.join(' ') };
    case '/model':
      if (args[0]) {
        await options.vetModel?.(args[0]);
        session.setModel(args[0]);
        out(`model: ${args[0]}`);
      } else out(`model: ${session.model}`);
      return 'done';
    case '/plan': {
      const message = input.slice(name.length).trim();
      if (!session.planMode) {
        session.setPlanMode(true);
        out(r.out.dim('plan mode: the model reads and plans, nothing is changed; /go carries out the plan'));
      }
      return message === '' ? 'done' : { ask: message };
    }
    case '/go': {
      if (!session.planMode && !state.planned) throw new AssistError('chat.no-plan', 'no plan to carry out', { hint: 'make one first: /plan MESSAGE', exitCode: ExitCode.usage });
      const ask = session.approvePlan(input.slice(name.length));
      out(r.out.dim('act mode: carrying out the plan'));
      return { ask };
    }
    case '/clear':
      session.clearHistory();
      out('conversation cleared');
      return 'done';
    case '/run':
    case '/test': {
      const cmd = name === '/run' ? args.join(' ') : null;
      if (name === '/run' && !cmd) throw new AssistError('chat.usage', 'usage: /run COMMAND', { exitCode: ExitCode.usage });
      if (name === '/test' && args.some((a) => a !== '--all')) throw new AssistError('chat.usage', 'usage: /test [--all]', { exitCode: ExitCode.usage });
      const result = await session.runShell(cmd, undefined, { all: name === '/test' && args.includes('--all') });
      if (!result) throw new AssistError('chat.no-test-command', 'no test command found', { hint: 'set one: `assist config set test.cmd "npm test"`' });
      if (result.packages) out(r.out.dim(`testing ${result.packages.map((d) => (d === '' ? 'the root' : d)).join(', ')}`));
      out(result.output.trimEnd());
      out(r.out.dim(`${result.cmd}: exit ${result.code}`));
      if (result.code !== 0) {
        return { ask: `I ran \`${result.cmd}\` and it failed (exit ${result.code}):\n\n${tail(result.output, 6000)}\n\nFix it.` };
      }
      session.addToConversation(`I ran \`${result.cmd}\`: exit 0.\n${tail(result.output, 2000)}`);
      return 'done';
    }
    default:
      throw new AssistError('chat.unknown-command', `unknown command ${name}`, { hint: 'type /help for the list', exitCode: ExitCode.usage });
  }
}

function tail(text: string, max: number): string {
  return text.length > max ? `…${text.slice(text.length - max)}` : text;
}

/** Reads one line with history; null on Ctrl-D (end of input). */
function readLine(stdin: Readable, stdout: Writable, prompt: string, history: string[], onInterrupt: () => 'exit' | 'retry'): Promise<string | null> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: stdin, output: stdout, terminal: (stdin as NodeJS.ReadStream).isTTY === true, history: [...history], historySize: 500 });
    let settled = false;
    const settle = (value: string | null): void => {
      if (settled) return;
      settled = true;
      rl.close();
      resolve(value);
    };
    rl.on('line', (line) => settle(line));
    rl.on('close', () => settle(null));
    rl.on('SIGINT', () => {
      if (onInterrupt() === 'exit') settle(null);
      else {
        stdout.write('\n');
        rl.write(null, { ctrl: true, name: 'u' });
        rl.prompt();
      }
    });
    rl.setPrompt(prompt);
    rl.prompt();
  });
}
