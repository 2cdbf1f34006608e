import { Command } from 'clipanion';
import { AssistCommand } from '../base.js';
import { refusal } from '../../errors.js';

export class InitCommand extends AssistCommand {
  static override paths = [['init']];
  static override usage = Command.Usage({
    description: 'write a starting AGENTS.md from what the repository shows',
    details: `
      Writes \`AGENTS.md\` at the root of the repository: the build and test commands it finds (package.json scripts, Makefile targets, Cargo, pyproject, Go), the top folders, the languages of the tracked files and the workspaces. Edit it afterwards: agents read it with every request (see \`assist doctor\` for the instruction files a session would send).

      An existing \`AGENTS.md\` is never overwritten: \`init\` refuses (exit 3). When the root has a \`CLAUDE.md\`, \`GEMINI.md\` or \`CONVENTIONS.md\`, the new file imports it with an \`@\` line, so it is still read.
    `,
    examples: [['Draft AGENTS.md for this repository', '$0 init']],
  });

  async run(): Promise<number> {
    const { lstat, writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { draftAgentsFile } = await import('../../context/agents-draft.js');
    const repo = await this.repo();
    const target = join(repo.root, 'AGENTS.md');
    const exists = (): ReturnType<typeof refusal> => refusal('init.exists', `${target} already exists: assist init never overwrites it`);
    const present = await lstat(target).then(
      () => true,
      () => false,
    );
    if (present) throw exists();
    const draft = await draftAgentsFile(repo.root, this.context.env);
    try {
      // `wx`: created here or not at all, even if one appeared while the repository was read.
      await writeFile(target, draft.text, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw exists();
      throw error;
    }
    const found = [
      `${draft.commands.length} command${draft.commands.length === 1 ? '' : 's'}`,
      `${draft.folders.length} folder${draft.folders.length === 1 ? '' : 's'}`,
      draft.languages.length > 0 ? draft.languages.map((l) => l.name).join(', ') : 'no known languages',
      ...(draft.workspaces.length > 0 ? [`${draft.workspaces.length} workspace pattern${draft.workspaces.length === 1 ? '' : 's'}`] : []),
      ...(draft.imported ? [`imports ${draft.imported}`] : []),
    ];
    this.reporter.info(`wrote ${target} (${found.join('; ')}): review it and commit it`);
    return 0;
  }
}
