import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { usageError } from '../../errors.js';

export class CompletionCommand extends AssistCommand {
  static override paths = [['completion']];
  static override usage = Command.Usage({
    category: 'Configuration',
    description: 'print a shell completion script',
    details: `
      Prints a completion script for bash, zsh or fish, generated from this assist's command definitions: the commands, their flags, the config keys of \`config get\` and \`config set\` (and the values of those that take one of a few), model names for \`--model\`, and the session ids of \`log\` and \`session show\` (read from \`refs/assist/log/\` by git when you press Tab, so completing never starts assist).

      bash: \`eval "$(assist completion bash)"\` in ~/.bashrc. zsh: \`eval "$(assist completion zsh)"\` in ~/.zshrc after \`compinit\`. fish: \`assist completion fish > ~/.config/fish/completions/assist.fish\`. Regenerate after upgrading assist.
    `,
    examples: [
      ['Load it in the current bash', 'eval "$($0 completion bash)"'],
      ['Install it for fish', '$0 completion fish > ~/.config/fish/completions/assist.fish'],
    ],
  });

  shell = Option.String({ name: 'bash|zsh|fish' });

  async run(): Promise<number> {
    const { SHELLS, completionSpec, renderCompletion } = await import('../completion.js');
    const shell = SHELLS.find((s) => s === this.shell);
    if (!shell) throw usageError('cli.unknown-shell', `no completion for '${this.shell}'`, `usage: assist completion ${SHELLS.join('|')}`);
    const { KEYS, PROVIDERS } = await import('../../config/index.js');
    const { knownModels } = await import('../../llm/registry.js');
    const models = knownModels();
    const configKeys: string[] = [];
    const configValues: Record<string, string[] | 'models'> = {};
    for (const def of KEYS) {
      // `models."<provider/model>".*` keys are left out: a quoted model name does not survive word splitting.
      if (def.key.startsWith('models.')) continue;
      const keys = def.key.startsWith('llm.*.') ? PROVIDERS.map((p) => def.key.replace('*', p)) : [def.key];
      configKeys.push(...keys);
      const values = def.type.kind === 'enum' ? [...def.type.values] : def.type.kind === 'bool' ? ['true', 'false'] : ['model', 'weak_model', 'fallback'].includes(def.key) ? 'models' : undefined;
      if (values) for (const key of keys) configValues[key] = values;
    }
    const spec = completionSpec({ version: this.cli.binaryVersion ?? '', definitions: this.cli.definitions(), configKeys, configValues, models });
    this.reporter.print(renderCompletion(spec, shell));
    return 0;
  }
}
