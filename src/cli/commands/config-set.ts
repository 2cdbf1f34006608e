import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { AssistError, usageError } from '../../errors.js';

export class ConfigSetCommand extends AssistCommand {
  static override paths = [['config', 'set']];
  static override usage = Command.Usage({
    category: 'Configuration',
    description: 'set a key in the project or user config file',
    details: `
      Writes KEY = VALUE into this repository's \`.assist.toml\`, or with \`--global\` into the user config (\`$XDG_CONFIG_HOME/assist/config.toml\`). The rest of the file is kept as it was, comments included. VALUE is checked against the key's type first; lists are written as \`a,b\` or as a JSON array.
    `,
    examples: [
      ['Pick a model for yourself', '$0 config set model anthropic/claude-sonnet-4-5 --global'],
      ['A bigger map for this project', '$0 config set context.map_tokens 4096'],
      ['Fallback models', '$0 config set fallback openai/gpt-4.1,ollama/qwen2.5-coder --global'],
    ],
  });

  key = Option.String({ name: 'KEY' });
  value = Option.String({ name: 'VALUE' });
  global = Option.Boolean('--global', false, { description: 'write the user config instead of the project file' });

  async run(): Promise<number> {
    const { setConfigValue, userConfigFile, PROJECT_FILE_NAME, joinKey, splitKey, tomlValue } = await import('../../config/index.js');
    const { join } = await import('node:path');
    let file: string;
    let tmpDir: string | undefined;
    if (this.global) {
      file = userConfigFile(this.context.env);
    } else {
      const repo = await this.repo(true);
      if (!repo) {
        throw new AssistError('config.no-project', 'not in a git repository, so there is no project config to write', {
          hint: 'use --global to write the user config',
          exitCode: 2,
        });
      }
      file = join(repo.root, PROJECT_FILE_NAME);
      tmpDir = repo.sharedAssistDir;
    }
    checkModelNames(joinKey(splitKey(this.key)), this.value);
    const value = await setConfigValue(file, this.key, this.value, tmpDir);
    this.reporter.info(`${joinKey(splitKey(this.key))} = ${tomlValue(value)} in ${file}`);
    return 0;
  }
}

/** Keys whose values name models: each must be `provider/model`, or every later request fails on it (issue 24 item 17). */
const MODEL_KEYS = new Set(['model', 'weak_model', 'fallback']);

function checkModelNames(key: string, text: string): void {
  if (!MODEL_KEYS.has(key)) return;
  const trimmed = text.trim();
  const names = key === 'fallback' ? (trimmed.startsWith('[') ? parseList(trimmed) : trimmed.split(',')).map((n) => n.trim()).filter(Boolean) : [trimmed];
  for (const name of names) {
    const slash = name.indexOf('/');
    if (slash <= 0 || slash === name.length - 1) {
      throw usageError('config.bad-model-name', `${key}: "${name}" is not a model name of the form provider/model`, 'e.g. anthropic/claude-sonnet-4-5, openai/gpt-4.1, ollama/qwen2.5-coder');
    }
  }
}

function parseList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map(String) : [text];
  } catch {
    return [text];
  }
}
