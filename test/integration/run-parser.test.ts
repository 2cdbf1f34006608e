import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type * as Main from '../../src/cli/main.js';

// The built bundle's parser (clipanion does not load under vitest's module resolution).
const { buildCli, buildCliOf, commandsFor, encodeMachine, REGISTRATIONS, usePrebuiltMachine } = (await import(pathToFileURL(join(import.meta.dirname, '..', '..', 'dist', 'bundle', 'main.js')).href)) as typeof Main;

/** What clipanion makes of a line: the command chosen and its options, or its error text. */
function parse(cli: ReturnType<typeof buildCli>, argv: string[]): unknown {
  try {
    const command = cli.process(argv, {} as never) as unknown as Record<string, unknown>;
    // A help command prints the usage of the commands it names by their place among those
    // registered (`contexts`): the same screen whatever else is registered. By class name.
    if (Array.isArray(command['contexts'])) {
      const contexts = command['contexts'] as Array<{ commandClass: { name: string } }>;
      const help = { path: command['path'], index: command['index'], usageOf: (command['commands'] as number[]).map((i) => contexts[i]?.commandClass.name) };
      return { command: command.constructor.name, help, all: contexts.length };
    }
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

type Compile = () => { machine: unknown; contexts: unknown[] };
const builderOf = (cli: ReturnType<typeof buildCli>): { compile: Compile } => (cli as unknown as { builder: { compile: Compile } }).builder;

describe("the parser's machine built at build time", () => {
  for (const registration of REGISTRATIONS) {
    it(`is, for the ${registration} registration, the machine clipanion builds, with the same commands`, () => {
      const prebuilt = buildCliOf(registration, '1.0.0');
      const own = buildCliOf(registration, '1.0.0', false, false);
      // The bundle carries it: the parse does not build its own.
      expect(builderOf(prebuilt).compile).not.toBe(builderOf(own).compile);
      const a = builderOf(prebuilt).compile();
      const b = builderOf(own).compile();
      expect(a.machine).toEqual(b.machine);
      expect(a.contexts).toEqual(b.contexts);
    });
  }

  it('is refused by a parser of other commands, which then builds its own', () => {
    const cli = buildCliOf('all', '1.0.0', false, false);
    const own = builderOf(cli).compile;
    expect(usePrebuiltMachine(cli as never, encodeMachine(buildCliOf('run', '1.0.0', false, false) as never))).toBe(false);
    expect(builderOf(cli).compile).toBe(own);
    expect(usePrebuiltMachine(cli as never, encodeMachine(buildCliOf('all', '1.0.0', false, false) as never))).toBe(true);
    expect(builderOf(cli).compile).not.toBe(own);
  });

  // Every command's parse, help, and the errors of bad lines: what clipanion makes of each with
  // the machine it builds for every command, and with the one handed to it for that line.
  const table = [
    ['run', '--yes', '-m', 'fix the parser please'],
    ['run', '-m', 'x', '--model', 'openai/gpt-4o', '--max-cost', '0.5', '--max-steps', '3', 'a.ts'],
    ['run', '--worktree', '-m', 'x'],
    ['run', '--no-yes', '-m', 'x'],
    ['run', '--yes=1', '-m', 'x'],
    ['run', '-m', 'x', '--', '--not-an-option'],
    ['run', '--message=inline', '--json-stream'],
    ['run', '-m', '--json'],
    ['run', '--help'],
    ['run', '-h'],
    ['run', '-x'],
    ['fix the parser'],
    [' '],
    [''],
    [],
    ['--help'],
    ['-h'],
    ['--version'],
    ['--version', '--json'],
    ['help'],
    ['chat'],
    ['chat', '--model', 'x/y'],
    ['chta'],
    ['fix', 'the', 'parser'],
    ['log', '--json'],
    ['log', '--bogus'],
    ['map', '--help'],
    ['map', '--json', '--stats'],
    ['search', 'parse', '--json'],
    ['search'],
    ['checkpoint', 'list'],
    ['checkpoint', 'create', 'before-refactor'],
    ['checkpoint', 'restore'],
    ['checkpoint', 'nope'],
    ['session', 'show', '--help'],
    ['config', 'get', 'model.default'],
    ['config', 'set', 'a'],
    ['config', 'list', '--json'],
    ['undo', '--yes'],
    ['redo', '3'],
    ['hooks', 'install'],
    ['completion', 'bash'],
    ['doctor', '--json'],
    ['mcp', 'list'],
    ['summaries', 'status'],
    ['--no-such-flag'],
    ['-'],
    ['log', '--json', 'extra'],
  ];
  for (const line of table) {
    it(`makes of \`assist ${line.join(' ')}\` what clipanion's own machine of every command makes`, () => {
      const expected = parse(buildCli('1.0.0', false, undefined, false), line) as { all?: number };
      // A help screen lists what is registered when it names no command (`assist --help`): that
      // line gets every command. The help of `run` names `run` alone, whatever is registered.
      const narrowed = parse(buildCli('1.0.0', false, line), line) as { all?: number };
      expect({ ...narrowed, all: undefined }).toEqual({ ...expected, all: undefined });
      if (commandsFor(line) === null) expect(narrowed).toEqual(expected);
      expect(parse(buildCli('1.0.0', false, line, false), line)).toEqual(narrowed);
      expect(parse(buildCli('1.0.0'), line)).toEqual(expected);
    });
  }
});
