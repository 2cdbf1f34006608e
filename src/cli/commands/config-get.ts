import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { AssistError, usageError } from '../../errors.js';
import { closest } from '../../util/edit-distance.js';

export class ConfigGetCommand extends AssistCommand {
  static override paths = [['config', 'get']];
  static override usage = Command.Usage({
    category: 'Configuration',
    description: 'print the value a key has here',
    details: `
      Prints the effective value of KEY after every layer (flags, \`ASSIST_*\` environment, the project's \`.assist.toml\`, the user config, defaults). Exits 1 when the key has no value. With \`--json\` the value is printed as JSON (\`2048\`, \`"hybrid"\`, \`["a","b"]\`, \`true\`), so a string is quoted and a list is an array.
    `,
    examples: [
      ['The model in use', '$0 config get model'],
      ['A nested key', '$0 config get context.map_tokens'],
      ['As JSON, for scripts', '$0 config get fallback --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print the value as JSON' });
  key = Option.String({ name: 'KEY' });

  async run(): Promise<number> {
    const { findKeyDef, splitKey, joinKey, KEYS, tomlValue } = await import('../../config/index.js');
    const parts = splitKey(this.key);
    if (!findKeyDef(parts)) {
      const suggestion = closest(this.key, KEYS.map((d) => d.key));
      throw usageError('config.unknown-key', `unknown config key '${this.key}'`, suggestion ? `did you mean '${suggestion}'?` : 'see `assist config list`');
    }
    const loaded = await this.config();
    const resolved = loaded.values.get(joinKey(parts));
    if (!resolved) throw new AssistError('config.unset', `${this.key} is not set`, { hint: `set it with \`assist config set ${this.key} VALUE\`` });
    if (this.json) this.reporter.print(JSON.stringify(resolved.value));
    else this.reporter.print(typeof resolved.value === 'string' ? resolved.value : tomlValue(resolved.value));
    return 0;
  }
}
