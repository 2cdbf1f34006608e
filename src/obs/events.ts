/** How much a log line matters; a logger set to a level writes that level and the ones above it. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** One entry of the log event catalog: the level it is logged at and the fields it carries. */
export interface LogEventSpec {
  level: LogLevel;
  /** Field names beyond the common ones (time, level, event, session, request, pid). */
  fields: readonly string[];
  description: string;
}

/**
 * Every log event assist writes, by stable dotted name. Names are part of the log contract:
 * add new ones here (and to docs/observability.md), never rename or reuse one.
 */
export const LOG_EVENTS = {
  'command.start': { level: 'info', fields: ['command', 'argv', 'cwd', 'version'], description: 'a CLI command began' },
  'command.end': { level: 'info', fields: ['command', 'exit_code', 'duration_ms', 'error'], description: 'a CLI command ended' },
  'config.loaded': { level: 'debug', fields: ['files', 'warnings'], description: 'config layers were read' },
  'config.reloaded': { level: 'info', fields: ['file'], description: 'a running chat picked up an edited config file' },
  'config.untrusted_key': { level: 'warn', fields: ['key', 'file'], description: 'a project config key was ignored until `assist trust`' },

  'session.start': { level: 'info', fields: ['branch', 'base', 'no_branch'], description: 'a session was created' },
  'session.resume': { level: 'info', fields: ['branch', 'events'], description: 'a session was continued or resumed' },
  'session.finish': { level: 'info', fields: ['mode', 'base', 'commit'], description: '`session finish` landed (or discarded) the session' },
  'turn.start': { level: 'info', fields: ['turn', 'files_in_chat'], description: 'the person sent a message' },
  'turn.end': { level: 'info', fields: ['turn', 'outcome', 'duration_ms', 'overhead_ms'], description: 'a turn finished (reply shown, edits applied or refused)' },

  'context.built': { level: 'debug', fields: ['tokens', 'map_tokens', 'files', 'strategy', 'duration_ms'], description: 'the prompt context was assembled' },
  'context.compressed': { level: 'info', fields: ['tier', 'window', 'exchanges', 'verbatim', 'summarised', 'room', 'dropped'], description: 'history was compressed (`tier: history`), or context about files outside the chat left out, least used first (`tier: context`)' },
  'context.hybrid_choice': { level: 'info', fields: ['sessions', 'replayed', 'extended', 'pending', 'choices'], description: "hybrid's representation per language for this session" },
  'context.map_built': { level: 'debug', fields: ['files', 'parsed', 'cached', 'tokens', 'duration_ms'], description: 'the repo map was built' },

  'llm.request.start': { level: 'info', fields: ['provider', 'model', 'attempt', 'input_tokens_est', 'purpose'], description: 'a model request began (one `request` id per logical request, across its retries)' },
  'llm.request.first_token': { level: 'debug', fields: ['provider', 'model', 'ttft_ms'], description: 'the first streamed token arrived' },
  'llm.request.retry': { level: 'warn', fields: ['provider', 'model', 'attempt', 'delay_ms', 'status', 'reason'], description: 'an attempt failed and will be retried after `delay_ms`' },
  'llm.request.end': { level: 'info', fields: ['provider', 'model', 'outcome', 'attempts', 'input_tokens', 'output_tokens', 'usage_estimated', 'cost_usd', 'duration_ms', 'error'], description: 'a model request finished (`outcome` as in `assist_llm_requests_total`)' },
  'llm.breaker.state': { level: 'warn', fields: ['provider', 'from', 'to', 'failures'], description: "a provider's circuit breaker changed state" },
  'llm.failover': { level: 'warn', fields: ['from', 'to', 'reason'], description: 'the next `fallback` model was tried' },

  'edits.parsed': { level: 'debug', fields: ['blocks', 'files'], description: 'SEARCH/REPLACE blocks were read from a reply' },
  'edits.applied': { level: 'info', fields: ['files', 'blocks', 'tolerant'], description: 'an edit batch was written' },
  'edits.failed': { level: 'info', fields: ['file', 'reason', 'reflection'], description: 'a block did not match and went back to the model' },
  'edits.refused': { level: 'warn', fields: ['file', 'code', 'reason'], description: 'an edit was refused (sandbox, approval, protected file)' },

  'git.commit': { level: 'info', fields: ['kind', 'commit', 'branch', 'files'], description: 'assist made a commit (`kind`: edit, snapshot, finish)' },
  'git.undo': { level: 'info', fields: ['commits', 'to'], description: 'commits were undone' },
  'git.redo': { level: 'info', fields: ['commits', 'to'], description: 'undone commits were restored' },
  'git.checkpoint': { level: 'info', fields: ['name', 'commit', 'action'], description: 'a checkpoint was created or restored' },
  'git.hook_rejected': { level: 'warn', fields: ['hook', 'exit_code'], description: "a repository hook rejected assist's commit; the batch stays pending" },
  'git.lock_waited': { level: 'debug', fields: ['holder', 'waited_ms', 'took_over'], description: 'the write lock was contended or taken over' },
  'git.journal_recovered': { level: 'warn', fields: ['action', 'files'], description: 'an interrupted edit batch was finished or rolled back at start' },

  'sandbox.denied': { level: 'warn', fields: ['path', 'code', 'reason'], description: 'a read, write or command was denied' },
  'sandbox.command.start': { level: 'info', fields: ['command', 'confinement'], description: 'a model-requested command or test run began' },
  'sandbox.command.end': { level: 'info', fields: ['command', 'exit_code', 'duration_ms'], description: 'that command ended' },

  'hooks.refresh.start': { level: 'debug', fields: ['hook', 'files'], description: 'the background summary refresher began' },
  'hooks.refresh.end': { level: 'info', fields: ['hook', 'refreshed', 'tokens', 'duration_ms'], description: 'the background summary refresher ended' },

  'obs.metrics_write_failed': { level: 'warn', fields: ['file', 'error'], description: 'the metrics file could not be written (counts are kept for the next command)' },
} as const satisfies Record<string, LogEventSpec>;

/** A catalogued event name. */
export type LogEvent = keyof typeof LOG_EVENTS;

/** Dotted lower-case name: `area.thing[.what]`. */
export const EVENT_NAME = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$/;
