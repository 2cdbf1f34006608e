import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import type { ReplayedEvent } from '../../git/index.js';

export class LogCommand extends AssistCommand {
  static override paths = [['log']];
  static override usage = Command.Usage({
    description: "show a session's events, replayed from git",
    details: `
      Rebuilds the session's events (started, messages, replies, edits, refusals, undo, redo, checkpoints, finish) from its event chain \`refs/assist/log/<session-id>\`. The current session by default.
    `,
    examples: [
      ['The current session', '$0 log'],
      ['As JSON, for scripts', '$0 log 20261124-101500-a3f9 --json'],
    ],
  });

  id = Option.String({ required: false, name: 'ID' });
  json = Option.Boolean('--json', false, { description: 'print the events as JSON' });

  async run(): Promise<number> {
    const { openStore } = await import('../../git/index.js');
    const store = await openStore({ cwd: this.context.cwd, env: this.context.env, command: 'assist log' });
    try {
      const events = await store.replay(this.id);
      if (this.json) {
        this.reporter.json({ session: events[0]?.session ?? this.id ?? null, events });
        return 0;
      }
      const lines: string[] = [];
      for (const e of events) lines.push(`${e.at}  ${e.reverted ? '(undone) ' : ''}${describeEvent(e)}`);
      this.reporter.print(lines.join('\n'));
      return 0;
    } finally {
      store.close();
    }
  }
}

function describeEvent(e: ReplayedEvent): string {
  const short = (s: string | null): string => (s ? s.slice(0, 10) : '(none)');
  const one = (s: string): string => (s.length > 100 ? `${s.slice(0, 97).replace(/\n/g, ' ')}...` : s.replace(/\n/g, ' '));
  switch (e.type) {
    case 'session-started':
      if (e.pendingBranch) return `started on ${e.base.ref ?? `a detached HEAD`} at ${short(e.base.commit)} (its branch is created at the first edit)`;
      return `started on ${e.branch?.replace(/^refs\/heads\//, '') ?? 'a detached HEAD'} from ${e.base.ref ?? short(e.base.commit)}${e.noBranch ? ' (--no-branch)' : ''}`;
    case 'branch-created':
      return `first edit: created ${e.branch.replace(/^refs\/heads\//, '')} from ${e.base.ref ?? short(e.base.commit)} ${short(e.base.commit)}${e.movedFrom ? ` (HEAD had moved since the session started on ${e.movedFrom.ref ?? short(e.movedFrom.commit)} ${short(e.movedFrom.commit)})` : ''}`;
    case 'pending-settled':
      return `the pending batch was committed by you as ${short(e.commit)} (${e.files.join(', ')})`;
    case 'message':
      return `you: ${one(e.text)}`;
    case 'reply': {
      const calls = e.toolCalls?.length ? ` -> ${e.toolCalls.map((c) => c.name).join(', ')}` : '';
      return `${e.model}: ${e.text.trim() === '' && calls ? '(tool calls)' : one(e.text)}${calls}${e.usage ? ` [${e.usage.input_tokens}+${e.usage.output_tokens} tokens]` : ''}`;
    }
    case 'tool':
      return `tool ${e.name} ${e.ok ? 'ok' : 'failed'} in ${e.ms} ms: ${one(e.status)} (${e.chars} chars back)`;
    case 'plan':
      return `plan${e.files.length ? ` (${e.files.join(', ')})` : ''}: ${one(e.text)}`;
    case 'edit':
      return `edit ${e.commit === e.parent ? '(no commit)' : short(e.commit)} ${e.summary} (${[...e.files.map((f) => `${f.change} ${f.path}`), ...(e.ignored ?? []).map((w) => `${w.path}: ignored, not committed`)].join(', ')})${e.snapshot ? ` after snapshot ${short(e.snapshot.commit)}` : ''}`;
    case 'refused':
      return `refused: ${e.reason}${e.files?.length ? ` (${e.files.join(', ')})` : ''}`;
    case 'undo':
      return e.pendingDropped ? `undo: dropped the pending batch` : `undo ${e.undone.length} edit(s): ${short(e.from)} -> ${short(e.to)}`;
    case 'redo':
      return `redo ${e.redone.length} edit(s): ${short(e.from)} -> ${short(e.to)}`;
    case 'restore':
      return `restore checkpoint ${e.name}: ${short(e.from)} -> ${short(e.to)}`;
    case 'checkpoint':
      return `checkpoint ${e.name} at ${short(e.commit)}${e.auto ? ' (automatic)' : ''}`;
    case 'finish':
      return `finish (${e.mode})${e.commit ? ` as ${short(e.commit)} on ${e.onto ?? ''}` : ''}`;
  }
}
