import type { AgentHookConfig, AgentHookEvent, Config } from '../config/index.js';
import { AssistError, ExitCode } from '../errors.js';
import type { AuditLog } from '../sandbox/index.js';
import type { SessionCore } from './core.js';

/**
 * The JSON object an agent hook reads on stdin (DESIGN.md §6b "Agent hooks"). Fields that do not
 * apply to the event are left out.
 */
export interface HookPayload {
  event: AgentHookEvent;
  /** The session id, or null before the session is recorded (a dry run, the first prompt). */
  session: string | null;
  cwd: string;
  /** The repository's work tree. */
  root: string;
  /** `pre_tool`, `post_tool`: the tool's name and the arguments the model gave it. */
  tool?: string;
  arguments?: Record<string, unknown> | string;
  /** `post_tool`: the result the model is about to read, and whether the call succeeded. */
  result?: string;
  ok?: boolean;
  /** `pre_commit`, `post_commit`: the batch's files (repository-relative). */
  files?: string[];
  /** `post_commit`: the commit made. */
  commit?: string;
  /** `user_prompt`: the person's message; `stop`: the model's final reply. */
  prompt?: string;
  reply?: string;
  /** `stop`: this turn already went on once because a stop hook asked it to. */
  stop_hook_active?: boolean;
  /** The model request (or turn) id, to match audit and log lines. */
  request?: string;
}

/** What the hooks of one event came to. */
export interface HookOutcome {
  /** A hook exited 2: its stderr (or a stock line), the reason given to the model. */
  blocked: string | null;
  /** What the hooks printed on exit 0, for the events whose stdout adds context. */
  context: string;
}

/** What a hook run needs besides its payload. */
export interface HookRunner {
  readonly config: Config;
  readonly root: string;
  readonly gitDir: string;
  readonly commonDir: string;
  readonly env: NodeJS.ProcessEnv;
  audit(): AuditLog;
  /** One line for the person (warnings, blocks, kills). */
  status(line: string): void;
  signal?: AbortSignal;
}

/** Events whose hooks' stdout (exit 0) is added to what the model reads. */
const CONTEXT_EVENTS: ReadonlySet<AgentHookEvent> = new Set(['user_prompt', 'session_start', 'post_tool']);
/** Cap of one hook's stdout added as context: a chatty hook must not fill the window. */
export const MAX_HOOK_CONTEXT_CHARS = 8000;

/**
 * Whether `tool` is one of the names `match` covers: a glob (`*`, `?`), or several joined by `|`
 * (`edit_file|write_file`). No `match`: every tool.
 */
export function matchesTool(match: string | undefined, tool: string | undefined): boolean {
  if (match === undefined || match.trim() === '' || match.trim() === '*') return true;
  if (tool === undefined) return false;
  return match.split('|').some((glob) => {
    const pattern = glob.trim().replace(/[.+^${}()[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    return new RegExp(`^${pattern}$`).test(tool);
  });
}

/** The hooks configured for `event` that apply to `tool` (for the tool events), in the order they run. */
export function hooksFor(config: Config, event: AgentHookEvent, tool?: string): AgentHookConfig[] {
  const all = config.agentHooks[event] ?? [];
  return event === 'pre_tool' || event === 'post_tool' ? all.filter((h) => matchesTool(h.match, tool)) : all;
}

function label(command: string): string {
  const first = command.split('\n')[0] ?? '';
  return first.length > 60 ? `${first.slice(0, 57)}…` : first;
}

function firstLine(text: string): string {
  return (text.trim().split('\n')[0] ?? '').slice(0, 200);
}

/**
 * Runs the hooks of `event` one after another, each like a model-requested command (no provider
 * keys in its environment, under bubblewrap when it works), with `payload` as JSON on stdin.
 * Exit 0 goes on (stdout is context for `user_prompt`, `session_start`, `post_tool`); exit 2 blocks
 * and stops the hooks after it; anything else (a crash, a kill at `timeout_s`, no sandbox in
 * `bwrap` mode) is a warning and the action goes on. Every run is an audit line (`op: "hook"`).
 */
export async function runAgentHooks(runner: HookRunner, payload: HookPayload): Promise<HookOutcome> {
  const hooks = hooksFor(runner.config, payload.event, payload.tool);
  const outcome: HookOutcome = { blocked: null, context: '' };
  if (hooks.length === 0) return outcome;
  const { runCommand } = await import('../sandbox/commands/index.js');
  const audit = runner.audit();
  const input = JSON.stringify(payload) + '\n';
  const contexts: string[] = [];
  for (const hook of hooks) {
    const name = `${payload.event} hook \`${label(hook.command)}\``;
    let result: string;
    let reason: string | undefined;
    let sandboxed = false;
    try {
      const r = await runCommand(hook.command, {
        root: runner.root,
        gitDir: runner.gitDir,
        commonDir: runner.commonDir,
        mode: runner.config.sandbox.commands,
        env: runner.env,
        timeoutMs: Math.max(1, Math.round(hook.timeoutS * 1000)),
        killGraceMs: 1000,
        // The person configured it (their own file, or a project file they trusted): no prompt.
        approved: true,
        input,
        ...(runner.signal ? { signal: runner.signal } : {}),
      });
      sandboxed = r.sandboxed;
      if (r.aborted) {
        result = 'aborted';
      } else if (r.timedOut) {
        result = 'timeout';
        runner.status(`agent ${name} was killed after ${hook.timeoutS} s (timeout_s): going on without it`);
      } else if (r.code === 0) {
        result = '0';
        const out = r.stdout.trim();
        if (CONTEXT_EVENTS.has(payload.event) && out !== '') {
          contexts.push(out.length > MAX_HOOK_CONTEXT_CHARS ? `${out.slice(0, MAX_HOOK_CONTEXT_CHARS)}\n[… cut at ${MAX_HOOK_CONTEXT_CHARS} characters]` : out);
        }
      } else if (r.code === 2) {
        result = 'blocked';
        reason = r.stderr.trim() || `blocked by the ${payload.event} hook \`${label(hook.command)}\``;
        outcome.blocked = reason;
      } else {
        result = r.code === null ? String(r.signal ?? 'killed') : String(r.code);
        const said = firstLine(r.stderr) || firstLine(r.stdout);
        runner.status(`warning: agent ${name} ${r.code === null ? `was killed (${r.signal ?? 'signal'})` : `exited ${r.code}`}${said ? `: ${said}` : ''}`);
      }
    } catch (error) {
      result = 'failed';
      reason = (error as Error).message;
      runner.status(`warning: agent ${name} could not run: ${reason}`);
    }
    await audit.append({
      op: 'hook',
      path: hook.command,
      result,
      reason: `${payload.event}${payload.tool ? ` ${payload.tool}` : ''} (${hook.origin}; ${sandboxed ? 'bwrap' : 'unconfined'})${reason && result === 'blocked' ? `: ${firstLine(reason)}` : ''}`,
      ...(payload.request === undefined ? {} : { requestId: payload.request }),
    });
    if (outcome.blocked !== null) break;
  }
  outcome.context = contexts.join('\n\n');
  return outcome;
}

/** The session's hook runner: its config, work tree, environment and audit log. */
export function sessionHookRunner(core: SessionCore, signal?: AbortSignal): HookRunner {
  const paths = core.store.repo.paths;
  return {
    config: core.config,
    root: core.root,
    gitDir: paths.gitDir,
    commonDir: paths.commonDir,
    env: core.options.env,
    audit: () => core.audit(),
    status: (line) => core.ui.status?.(line),
    ...(signal ? { signal } : {}),
  };
}

/** Runs `event`'s hooks for the session, when any is configured (no import, no work otherwise). */
export async function fireHooks(core: SessionCore, payload: Omit<HookPayload, 'session' | 'cwd' | 'root'>, signal?: AbortSignal): Promise<HookOutcome> {
  if (hooksFor(core.config, payload.event, payload.tool).length === 0) return { blocked: null, context: '' };
  return runAgentHooks(sessionHookRunner(core, signal), { ...payload, session: core.info?.id ?? null, cwd: core.options.cwd, root: core.root } as HookPayload);
}

/** Sessions whose session_start hooks ran (once per session object, before its first turn). */
const started = new WeakSet<SessionCore>();

/**
 * The message a turn sends, after the `session_start` hooks (first turn only) and the
 * `user_prompt` hooks: their stdout follows the message. A `user_prompt` hook that exits 2 stops
 * the turn before anything is sent (`hooks.prompt-blocked`, exit 3), naming its reason.
 */
export async function promptHooks(core: SessionCore, message: string, signal?: AbortSignal): Promise<string> {
  const context: string[] = [];
  if (!started.has(core)) {
    started.add(core);
    const start = await fireHooks(core, { event: 'session_start' }, signal);
    if (start.context) context.push(`[session_start hook]\n${start.context}`);
  }
  const prompt = await fireHooks(core, { event: 'user_prompt', prompt: message }, signal);
  if (prompt.blocked !== null) {
    throw new AssistError('hooks.prompt-blocked', `a user_prompt hook blocked this message: ${prompt.blocked}`, {
      exitCode: ExitCode.refused,
      hint: 'change the message, or the hook (`assist doctor` lists them)',
    });
  }
  if (prompt.context) context.push(`[user_prompt hook]\n${prompt.context}`);
  return context.length === 0 ? message : `${message}\n\n${context.join('\n\n')}`;
}
