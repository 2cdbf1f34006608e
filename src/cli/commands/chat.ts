import { Command, Option } from 'clipanion';
import { AssistCommand, notBuilt } from '../base.js';

export class ChatCommand extends AssistCommand {
  static override paths = [['chat']];
  static override usage = Command.Usage({
    description: 'talk with the model about this repository; approved edits become commits',
    details: `
      Starts an interactive session. The first chat on a branch that is not a session branch creates \`assist/<session-id>\` from HEAD and switches to it, carrying your uncommitted work along untouched; a chat on a session branch continues that session.

      Every edit the model proposes is shown as a diff and applied only when you approve it; each approved reply becomes one commit on the session branch. Type \`/help\` inside the chat for its slash commands (\`/add /drop /ls /undo /redo /diff /commit /checkpoint /tokens /map /model /run /test /clear /help /exit\`).

      FILES are added to the chat (paths relative to the current directory, as in git).
    `,
    examples: [
      ['Chat about two files', '$0 chat src/app.ts src/app.test.ts'],
      ['Use another model', '$0 chat --model openai/gpt-4.1'],
      ['Continue the last session of this branch', '$0 chat --resume'],
      ['Work on the current branch, without a session branch', '$0 chat --no-branch'],
    ],
  });

  files = Option.Rest({ name: 'FILES' });
  model = Option.String('--model', { description: 'provider/model to use (overrides ASSIST_MODEL and config)' });
  yes = Option.Boolean('--yes', false, { description: 'apply edits without asking (protected files still ask)' });
  dryRun = Option.Boolean('--dry-run', false, { description: 'show the diffs; write and commit nothing' });
  noBranch = Option.Boolean('--no-branch', false, { description: 'record the session on the current branch' });
  resume = Option.String('--resume', { tolerateBoolean: true, description: 'rebuild the conversation of a session (the latest, or ID)' });
  autoTest = Option.Boolean('--auto-test', false, { description: 'run the test command after each edit' });

  async run(): Promise<number> {
    throw notBuilt('chat', 'the chat loop lands with the models-and-chat work');
  }
}
