import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';

export class ConfigListCommand extends AssistCommand {
  static override paths = [['config', 'list']];
  static override usage = Command.Usage({
    category: 'Configuration',
    description: 'print every key that has a value',
    details: `
      One \`key=value\` line per key, after every layer. With \`--show-origin\` each line starts with where the value came from, as \`git config --show-origin\` does: \`file:PATH:LINE\`, \`env:NAME\`, \`flag:--name\` or \`default\`.

      With \`--json\`, one object on stdout, by key: \`{"context.map_tokens": 2048, ...}\`; with \`--show-origin\` too, each value is \`{"value": ..., "origin": {"kind": "file", "scope": "project", "file": ..., "line": 3}}\` (kinds \`file\`, \`env\` with \`name\`, \`flag\` with \`name\`, \`default\`).

      Precedence, highest first: flags, environment (\`ASSIST_MODEL\`, \`ASSIST_<SECTION>__<KEY>\`), the project's \`.assist.toml\`, the user config, defaults.
    `,
    examples: [
      ['Everything', '$0 config list'],
      ['Where each value comes from', '$0 config list --show-origin'],
      ['For scripts', '$0 config list --json'],
    ],
  });

  showOrigin = Option.Boolean('--show-origin', false, { description: 'prefix each line with its origin' });
  json = Option.Boolean('--json', false, { description: 'print one JSON object, by key' });

  async run(): Promise<number> {
    const { formatOrigin, tomlValue } = await import('../../config/index.js');
    const loaded = await this.config();
    const keys = [...loaded.values.keys()].sort();
    if (this.json) {
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const resolved = loaded.values.get(key);
        if (resolved) out[key] = this.showOrigin ? { value: resolved.value, origin: resolved.origin } : resolved.value;
      }
      this.reporter.json(out);
      return 0;
    }
    for (const key of keys) {
      const resolved = loaded.values.get(key);
      if (!resolved) continue;
      const line = `${key}=${typeof resolved.value === 'string' ? resolved.value : tomlValue(resolved.value)}`;
      this.reporter.print(this.showOrigin ? `${formatOrigin(resolved.origin)}\t${line}` : line);
    }
    return 0;
  }
}
