import { Command } from 'clipanion';
import { AssistCommand } from '../base.js';

export class ConfigSchemaCommand extends AssistCommand {
  static override paths = [['config', 'schema']];
  static override usage = Command.Usage({
    category: 'Configuration',
    description: 'print the JSON Schema of the config files',
    details: `
      Prints a JSON Schema (draft-07) of \`.assist.toml\` and the user config, generated from the key table: every key with its type, allowed values, minimum, default and meaning; keys a project file sets only once trusted carry \`"x-needs-trust": true\`. The same file ships in the package as \`dist/assist.schema.json\`.

      Editors with a TOML language server (Taplo, Even Better TOML) then check and complete the file: save the schema and put \`#:schema ./assist.schema.json\` (a path or URL) on the first line of the TOML file, or map \`.assist.toml\` to it in the editor's settings.
    `,
    examples: [
      ['Save it for the editor', '$0 config schema > ~/.config/assist/assist.schema.json'],
      ['The keys of one table', "$0 config schema | jq '.properties.context.properties | keys'"],
    ],
  });

  async run(): Promise<number> {
    const { configJsonSchema } = await import('../../config/json-schema.js');
    this.reporter.json(configJsonSchema());
    return 0;
  }
}
