import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { AssistError } from '../../errors.js';

export class TrustCommand extends AssistCommand {
  static override paths = [['trust']];
  static override usage = Command.Usage({
    description: "trust this repository's .assist.toml as it is now",
    details: `
      A project \`.assist.toml\` comes with the repository, so its keys that can run code, send data elsewhere or widen access (\`llm.*.base_url\`, \`llm.*.api_key_cmd\`, \`test.cmd\`, \`sandbox.*\`, \`approval.*\`, \`mcp.*\`: its MCP servers are not started) are ignored, with a warning, until you trust the file. Trust is stored as the file's hash beside your user config: when the file changes, it needs trusting again. \`--revoke\` withdraws it.
    `,
    examples: [
      ['Trust after reviewing the file', '$0 trust'],
      ['Withdraw trust', '$0 trust --revoke'],
    ],
  });

  revoke = Option.Boolean('--revoke', false, { description: 'withdraw trust' });

  async run(): Promise<number> {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { PROJECT_FILE_NAME, parseConfigText, hashProjectFile, setProjectTrust } = await import('../../config/index.js');
    const repo = await this.repo();
    if (this.revoke) {
      await setProjectTrust(this.context.env, repo.root, null);
      this.reporter.info(`no longer trusting ${PROJECT_FILE_NAME} in ${repo.root}`);
      return 0;
    }
    const file = join(repo.root, PROJECT_FILE_NAME);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new AssistError('trust.no-file', `there is no ${PROJECT_FILE_NAME} in ${repo.root}: nothing to trust`, { exitCode: 1 });
    }
    const parsed = await parseConfigText(text, file);
    const gated = parsed.entries.filter((e) => e.def.needsTrust);
    await setProjectTrust(this.context.env, repo.root, hashProjectFile(text));
    this.reporter.info(`trusting ${file} as it is now (sha256 ${hashProjectFile(text).slice(0, 12)})`);
    for (const entry of gated) this.reporter.info(`  ${entry.key} (line ${entry.line}) now applies`);
    return 0;
  }
}
