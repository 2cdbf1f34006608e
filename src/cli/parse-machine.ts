import type { Cli } from 'clipanion';
import { CliBuilder } from 'clipanion/lib/core.js';
import { readFileSync } from 'node:fs';

/**
 * clipanion's state machine of a command line, built at build time. Before it parses anything,
 * `cli.process` builds one machine of every registered command's paths and options and simplifies
 * it; in a fresh process that code has never run, and it was most of the parse's CPU: ~8 ms of a
 * turn's `run` line, ~35 ms of `assist log` with every command registered (docs/repo-map.md
 * "Fourteenth session ... the parser's machine at build time"). The machine depends only on the
 * commands registered, so scripts/bundle.mjs builds each registration's machine with clipanion
 * itself, encodes it here and writes it beside the bundles; the tests hold it to the one clipanion
 * builds. In a file of its own, read only by a parse: inside the one-file CLI it made the file and
 * its code cache 61 KB larger for every command, `map` and `search` included.
 */

// Set by scripts/bundle.mjs: the id of the machines it wrote beside this build
// (parse-machine-REGISTRATION.json); only those are used. Absent outside the bundles.
declare const __ASSIST_PARSE_MACHINES_ID__: string | undefined;

/**
 * The machine written beside this bundle for `registration` (a name of src/cli/main.ts
 * REGISTRATIONS); undefined outside the bundles, or when the file is missing, damaged or of
 * another build: clipanion then builds its own.
 */
export function readPrebuiltMachine(registration: string): EncodedMachine | undefined {
  if (typeof __ASSIST_PARSE_MACHINES_ID__ === 'undefined') return undefined;
  try {
    const file = JSON.parse(readFileSync(new URL(`parse-machine-${registration}.json`, import.meta.url), 'latin1')) as { id?: unknown; machine?: EncodedMachine };
    return file.id === __ASSIST_PARSE_MACHINES_ID__ ? file.machine : undefined;
  } catch {
    return undefined;
  }
}

/** A machine as clipanion builds it (clipanion/lib/core.js; its type is not exported). */
export interface StateMachine {
  nodes: MachineNode[];
}
interface Transition {
  to: number;
  reducer?: unknown;
}
interface MachineNode {
  dynamics: Array<[unknown, Transition]>;
  shortcuts: Transition[];
  statics: Record<string, Transition[]>;
}

/** What of a command clipanion's builder holds: public fields, but for its context. */
interface CommandBuilderFields {
  readonly allOptionNames: string[];
  readonly options: unknown[];
  readonly paths: string[][];
}
interface CliBuilderFields {
  compile(): { machine: StateMachine; contexts: unknown[]; process: unknown; suggest: unknown };
  readonly builders: CommandBuilderFields[];
}

/**
 * A machine encoded: the first path of each registered command (checked before use: the
 * registration must be the one it was built for), the distinct tests and reducers it uses (the
 * option lists a test takes stand for the registered command's own, `{"names": i}` or
 * `{"options": i}`), the distinct transitions ([to, reducer, ...]) and dynamic transitions ([test,
 * to, reducer, ...]), values by index, -1 for no reducer, and per node its statics (segment →
 * transitions) and dynamics by index. A transition is one object wherever it occurs, as clipanion's
 * simplification shares them: a third of the objects to make (823 of 2,559 dynamics of every
 * command's machine), which was most of the decoding.
 */
export interface EncodedMachine {
  paths: string[];
  values: unknown[];
  transitions: number[];
  dynamics: number[];
  nodes: Array<{ s: Record<string, number[]>; d: number[] }>;
}

function builderOf(cli: Cli<never>): CliBuilderFields {
  return (cli as unknown as { builder: CliBuilderFields }).builder;
}

function firstPath(command: CommandBuilderFields): string {
  return (command.paths[0] ?? []).join(' ');
}

/** `cli`'s machine as clipanion builds it, encoded (at build time). */
export function encodeMachine(cli: Cli<never>): EncodedMachine {
  const builder = builderOf(cli);
  const { machine } = builder.compile();
  const lists = new Map<unknown, unknown>();
  builder.builders.forEach((command, i) => {
    lists.set(command.allOptionNames, { names: i });
    lists.set(command.options, { options: i });
  });
  const values: unknown[] = [];
  const indexOf = new Map<string, number>();
  const valueIndex = (value: unknown): number => {
    if (value === undefined) return -1;
    const encoded = Array.isArray(value) ? value.map((arg: unknown) => lists.get(arg) ?? arg) : value;
    const key = JSON.stringify(encoded);
    let index = indexOf.get(key);
    if (index === undefined) {
      index = values.push(encoded) - 1;
      indexOf.set(key, index);
    }
    return index;
  };
  const transitions: number[] = [];
  const dynamics: number[] = [];
  const tables = { transitions: new Map<string, number>(), dynamics: new Map<string, number>() };
  const entryIndex = (table: 'transitions' | 'dynamics', entry: number[]): number => {
    const key = entry.join(',');
    let index = tables[table].get(key);
    if (index === undefined) {
      const list = table === 'transitions' ? transitions : dynamics;
      index = list.length / entry.length;
      list.push(...entry);
      tables[table].set(key, index);
    }
    return index;
  };
  const nodes = machine.nodes.map((node) => {
    // A simplified machine has none left; one with them is a clipanion this encoding does not know.
    if (node.shortcuts.length > 0) throw new Error('clipanion left a shortcut in its simplified machine: the encoding does not carry them');
    const s: Record<string, number[]> = {};
    for (const [segment, list] of Object.entries(node.statics)) s[segment] = list.map((t) => entryIndex('transitions', [t.to, valueIndex(t.reducer)]));
    const d = node.dynamics.map(([test, t]) => entryIndex('dynamics', [valueIndex(test), t.to, valueIndex(t.reducer)]));
    return { s, d };
  });
  return { paths: builder.builders.map(firstPath), values, transitions, dynamics, nodes };
}

/** The machine `encoded` stands for, with the option lists of `cli`'s registered commands. */
export function decodeMachine(cli: Cli<never>, encoded: EncodedMachine): StateMachine {
  const commands = builderOf(cli).builders;
  const values = encoded.values.map((value) => {
    if (!Array.isArray(value)) return value;
    return value.map((arg: unknown) => {
      if (typeof arg !== 'object' || arg === null || Array.isArray(arg)) return arg;
      const ref = arg as { names?: number; options?: number };
      if (typeof ref.names === 'number') return commands[ref.names]?.allOptionNames;
      if (typeof ref.options === 'number') return commands[ref.options]?.options;
      return arg;
    });
  });
  const value = (index: number): unknown => (index < 0 ? undefined : values[index]);
  const transitions: Transition[] = [];
  const t = encoded.transitions;
  for (let i = 0; i < t.length; i += 2) transitions.push({ to: t[i] as number, reducer: value(t[i + 1] as number) });
  const dynamics: Array<[unknown, Transition]> = [];
  const d = encoded.dynamics;
  for (let i = 0; i < d.length; i += 3) dynamics.push([value(d[i] as number), { to: d[i + 1] as number, reducer: value(d[i + 2] as number) }]);
  const nodes: MachineNode[] = [];
  for (const node of encoded.nodes) {
    const statics: Record<string, Transition[]> = {};
    for (const segment of Object.keys(node.s)) statics[segment] = (node.s[segment] as number[]).map((i) => transitions[i] as Transition);
    nodes.push({ dynamics: node.d.map((i) => dynamics[i] as [unknown, Transition]), shortcuts: [], statics });
  }
  return { nodes };
}

/**
 * Hands `encoded` to `cli` as the machine of its next parses, when it was built for the commands
 * registered (their number and paths); answers whether it did. clipanion's parse then runs its own
 * code on it: a machine of no command is compiled (cheap), and its nodes are replaced.
 */
export function usePrebuiltMachine(cli: Cli<never>, encoded: EncodedMachine): boolean {
  // Fields clipanion keeps private: a version that moved them leaves its own machine in place.
  const builder = builderOf(cli) as CliBuilderFields | undefined;
  if (typeof builder !== 'object' || builder === null) return false;
  const commands = builder.builders;
  if (!Array.isArray(commands) || typeof builder.compile !== 'function' || commands.some((command) => !Array.isArray(command?.paths))) return false;
  if (commands.length !== encoded.paths.length || commands.some((command, i) => firstPath(command) !== encoded.paths[i])) return false;
  builder.compile = () => {
    const empty = new CliBuilder<unknown>({ binaryName: '' }).compile();
    empty.machine.nodes = decodeMachine(cli, encoded).nodes as typeof empty.machine.nodes;
    return { ...empty, contexts: commands.map((command) => (command as unknown as { context: unknown }).context) };
  };
  return true;
}
