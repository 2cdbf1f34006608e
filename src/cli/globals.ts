/** Flags accepted by every command, anywhere on the line (DESIGN.md §3 "global"). */
export interface GlobalFlags {
  verbose: boolean;
  noColor: boolean;
  logFile: string | undefined;
  metricsFile: string | undefined;
}

const VALUE_FLAGS = { '--log-file': 'logFile', '--metrics-file': 'metricsFile' } as const;

/**
 * Takes the global flags out of argv before clipanion sees it, so each command need not declare
 * them. Stops at `--`, after which everything is an argument.
 */
export function splitGlobalFlags(argv: readonly string[]): { globals: GlobalFlags; rest: string[]; error?: string } {
  const globals: GlobalFlags = { verbose: false, noColor: false, logFile: undefined, metricsFile: undefined };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '--verbose') {
      globals.verbose = true;
      continue;
    }
    if (arg === '--no-color') {
      globals.noColor = true;
      continue;
    }
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name in VALUE_FLAGS) {
      const field = VALUE_FLAGS[name as keyof typeof VALUE_FLAGS];
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') return { globals, rest, error: `${name} needs a file name` };
      globals[field] = value;
      continue;
    }
    rest.push(arg);
  }
  return { globals, rest };
}
