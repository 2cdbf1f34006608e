import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { usageError } from '../../errors.js';
import { closest } from '../../util/edit-distance.js';
import { readAll } from '../stdin.js';

/**
 * Commands of DESIGN.md §3 that are not built yet, with their usage line: their name (or a near
 * miss) is a usage error that says so, never a message to the model.
 */
export const NOT_BUILT: Readonly<Record<string, string>> = {
};

export class DefaultCommand extends AssistCommand {
  static override paths = [Command.Default];
  static override usage = Command.Usage({
    description: 'chat, or run one MESSAGE',
    details: `
      \`assist MESSAGE\` is the same as \`assist run -m MESSAGE\`. With no MESSAGE, assist starts a chat on a terminal; otherwise it reads the message from standard input (empty input is a usage error).

      MESSAGE is one argument with a space in it (quote it). A first word that is a command's name, or close to one (\`assist chta\`, \`assist chekpoint list\`), is that command: a usage error with its usage line or a suggestion, never a request to a model. So are loose words (\`assist fix the bug\`): quote them, or use \`assist run -m\`.
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
    // A message is one argument with a space in it; anything else is a command, or a mistake (issue 24 item 10).
    if (words.length > 0 && !(words.length === 1 && /\s|^$/.test(words[0] as string))) throw this.notAMessage(words);
    let message = (words[0] ?? '').trim();
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

  /** The usage error for words that are not a message: a command's name, a near miss, an option, or loose words. */
  private notAMessage(words: readonly string[]): Error {
    const word = words[0] as string;
    const option = words.find((w) => w.startsWith('-') && w.length > 1);
    if (option !== undefined) return usageError('cli.unknown-option', `unknown option '${option}'`, 'see `assist --help`');
    if (word === 'help') return usageError('cli.unknown-command', "unknown command 'help'", 'see `assist --help`');
    // Built commands land here only when clipanion found no path for their arguments.
    const built = new Map<string, string[]>();
    for (const d of this.cli.definitions()) {
      const first = d.path.split(' ')[1];
      if (first && !first.startsWith('-')) built.set(first, [...(built.get(first) ?? []), d.usage.replace(/^\$ /, '')]);
    }
    const usage = built.get(word);
    if (usage) return usageError('cli.bad-arguments', `wrong arguments for \`assist ${word}\``, `usage: ${usage.join(' | ')}`);
    const planned = NOT_BUILT[word];
    if (planned !== undefined) return usageError('cli.not-built', `\`assist ${word}\` is not built yet`, `usage: ${planned}`);
    if (word.length < 24 && !/\s/.test(word)) {
      const suggestion = closest(word, [...built.keys(), ...Object.keys(NOT_BUILT)], word.length <= 3 ? 1 : 2);
      if (suggestion) return usageError('cli.unknown-command', `unknown command '${word}'`, `did you mean \`assist ${suggestion}\`?`);
    }
    return usageError(
      'cli.not-a-message',
      words.length === 1 ? `unknown command '${word}'` : `not a command: ${words.slice(0, 3).join(' ')}${words.length > 3 ? ' ...' : ''}`,
      'to ask the model, give the message as one quoted argument (`assist "fix the parser"`), or use `assist run -m MESSAGE FILES...`',
    );
  }
}
