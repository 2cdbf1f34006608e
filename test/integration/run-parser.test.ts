import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type * as Main from '../../src/cli/main.js';

// The built bundle's parser (clipanion does not load under vitest's module resolution).
const { buildCli, commandsFor } = (await import(pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'bundle', 'main.js')).href)) as typeof Main;

/** What clipanion makes of a line: the command chosen and its options, or its error text. */
function parse(cli: ReturnType<typeof buildCli>, argv: string[]): unknown {
  try {
    const command = cli.process(argv, {} as never) as unknown as Record<string, unknown>;
    const fields = Object.fromEntries(Object.entries(command).filter(([k, v]) => k !== 'cli' && k !== 'context' && typeof v !== 'function'));
    return { command: command.constructor.name, fields };
  } catch (error) {
    return { error: cli.error(error as Error, { colored: false }) };
  }
}

describe('the parser of a line that asks the model', () => {
  it('registers only the commands such a line can reach, and all of them for anything else', () => {
    expect(commandsFor(['run', '--yes', '-m', 'x'])?.map((c) => c.name)).toEqual(['DefaultCommand', 'RunCommand']);
    expect(commandsFor(['fix the parser'])?.map((c) => c.name)).toEqual(['DefaultCommand']);
    expect(commandsFor(['chat'])).toBeNull();
    expect(commandsFor(['fix', 'the', 'parser'])).toBeNull();
    expect(commandsFor(['-v'])).toBeNull();
    expect(commandsFor(['--help', 'run'])).toBeNull();
  });

  const lines = [
    ['run', '--yes', '-m', 'bump the state', 'a.ts', 'b.ts'],
    ['run', '--json', '--max-steps', '3', '--dry-run', '-m', 'x'],
    ['run', '--worktree=w1', '-m', 'x'],
    ['run', 'tests', 'please'],
    ['run', '--bogus'],
    ['run', '-m'],
    ['run'],
    ['fix the parser'],
  ];
  for (const line of lines) {
    it(`makes of \`assist ${line.join(' ')}\` what the parser of every command makes`, () => {
      const full = parse(buildCli('1.0.0'), line);
      expect(parse(buildCli('1.0.0', false, line), line)).toEqual(full);
    });
  }

  it('still parses a run line into the run command with its options', () => {
    const parsed = parse(buildCli('1.0.0', false, ['run', '--yes', '-m', 'go']), ['run', '--yes', '-m', 'go']) as { command: string; fields: Record<string, unknown> };
    expect(parsed.command).toBe('RunCommand');
    expect(parsed.fields['message']).toBe('go');
    expect(parsed.fields['yes']).toBe(true);
  });
});
