import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { usageError } from '../../errors.js';
import { closest } from '../../util/edit-distance.js';
import { readAll } from '../stdin.js';

/** Every first word of a command path, for "did you mean" on a lone word. */
export const COMMAND_WORDS = [
  'chat', 'run', 'undo', 'redo', 'checkpoint', 'session', 'log', 'map', 'hooks', 'hook', 'summaries', 'pr', 'config', 'trust', 'doctor', 'help',
];

export class DefaultCommand extends AssistCommand {
  static override paths = [Command.Default];
  static override usage = Command.Usage({
    description: 'chat, or run one MESSAGE',
    details: `
      \`assist MESSAGE\` is the same as \`assist run -m MESSAGE\`. With no MESSAGE, assist starts a chat on a terminal; otherwise it reads the message from standard input (empty input is a usage error).

      A lone word close to a command name (\`assist chta\`) is a usage error with a suggestion, never a request to a model.
    `,
    examples: [
      ['Ask for one change', '$0 "add input validation to parseArgs"'],
      ['Read the request from a file', '$0 < task.txt'],
      ['Start a chat', '$0'],
    ],
  });

  message = Option.Rest({ name: 'MESSAGE' });

  async run(): Promise<number> {
    const words = this.message;
    if (words.length === 1) {
      const word = words[0] as string;
      if (!/\s/.test(word) && word.length < 24) {
        const suggestion = closest(word, COMMAND_WORDS);
        if (suggestion) throw usageError('cli.unknown-command', `unknown command '${word}'`, `did you mean \`assist ${suggestion}\`?`);
      }
    }
    if (words.some((w) => w.startsWith('-') && w.length > 1)) {
      throw usageError('cli.unknown-option', `unknown option '${words.find((w) => w.startsWith('-'))}'`, 'see `assist --help`');
    }
    let message = words.join(' ');
    if (message === '') {
      const stdin = this.context.stdin as NodeJS.ReadStream;
      if (stdin.isTTY) {
        const { startChat } = await import('./chat.js');
        return startChat(this, { files: [], yes: false, dryRun: false, noBranch: false, autoTest: false });
      }
      message = (await readAll(stdin)).trim();
      if (message === '') throw usageError('cli.empty-message', 'no message: standard input was empty', 'pass a message: `assist "what to do"`, or run `assist chat`');
    }
    const { runOnce } = await import('../run-once.js');
    return runOnce(this, { message, files: [], yes: false, dryRun: false, noBranch: false, autoTest: false, json: false });
  }
}
