import { Command, Option } from 'clipanion';
import { AssistCommand } from '../base.js';
import { execText } from '../../util/exec.js';

export class VersionCommand extends AssistCommand {
  static override paths = [['--version'], ['-v']];
  static override usage = Command.Usage({
    description: 'print the version of assist',
    details: `
      \`assist --version\` prints the version alone. With \`--json\`: \`{version, node, git, grammars}\`, where \`git\` is the version of the git on PATH (null when there is none) and \`grammars\` lists the tree-sitter grammars the repo map loads, each with its language, package, version and file.
    `,
    examples: [
      ['The version', '$0 --version'],
      ['Everything a bug report needs', '$0 --version --json'],
    ],
  });

  json = Option.Boolean('--json', false, { description: 'print {version, node, git, grammars}' });

  async run(): Promise<number> {
    const version = this.cli.binaryVersion ?? '<unknown>';
    if (!this.json) {
      this.reporter.print(version);
      return 0;
    }
    const git = await execText('git', ['--version'], { cwd: this.context.cwd, env: this.context.env });
    const { languages, grammarSource } = await import('../../context/languages.js');
    const grammars = languages.map((spec) => {
      try {
        const source = grammarSource(spec);
        return { language: spec.id, package: source.pkg, version: source.version, file: source.path };
      } catch (error) {
        return { language: spec.id, package: spec.pkg, version: null, file: null, error: (error as Error).message };
      }
    });
    this.reporter.json({
      version,
      // The global, not an import of node:process: that import would build its module facade at every start, --help included.
      node: process.versions.node,
      git: git.code === 0 ? (/\d+\.\d+(?:\.\d+)?/.exec(git.stdout)?.[0] ?? git.stdout.trim()) : null,
      grammars,
    });
    return 0;
  }
}
