import type { Writable } from 'node:stream';
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

export interface ReporterOptions {
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** `--no-color` was given. */
  noColor?: boolean;
  verbose?: boolean;
}

function streamIsTTY(stream: Writable): boolean {
  return (stream as Writable & { isTTY?: boolean }).isTTY === true;
}

/** NO_COLOR (https://no-color.org), `--no-color`, non-TTY and TERM=dumb turn colour off; FORCE_COLOR turns it on. */
export function colorEnabled(stream: Writable, env: Record<string, string | undefined>, noColor = false): boolean {
  if (noColor) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return streamIsTTY(stream) && env.TERM !== 'dumb';
}

/**
 * What a person sees. Results go to stdout; warnings, errors and progress to stderr, so that
 * `--json` output and pipes stay clean.
 */
export class Reporter {
  readonly out: Colors;
  readonly err: Colors;
  readonly verbose: boolean;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;

  constructor(private readonly options: ReporterOptions) {
    this.out = pc.createColors(colorEnabled(options.stdout, options.env, options.noColor));
    this.err = pc.createColors(colorEnabled(options.stderr, options.env, options.noColor));
    this.verbose = options.verbose ?? false;
    this.stdoutIsTTY = streamIsTTY(options.stdout);
    this.stderrIsTTY = streamIsTTY(options.stderr);
  }

  get stdout(): Writable {
    return this.options.stdout;
  }

  get stderr(): Writable {
    return this.options.stderr;
  }

  /** A line of the command's result. */
  print(text = ''): void {
    this.options.stdout.write(text.endsWith('\n') ? text : text + '\n');
  }

  json(value: unknown): void {
    this.options.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }

  info(text: string): void {
    this.options.stderr.write(text + '\n');
  }

  warn(text: string): void {
    this.options.stderr.write(`${this.err.yellow('warning:')} ${text}\n`);
  }

  error(text: string, hint?: string): void {
    this.options.stderr.write(`${this.err.red('error:')} ${text}\n`);
    if (hint) this.options.stderr.write(`${this.err.dim('hint:')} ${hint}\n`);
  }

  debug(text: string): void {
    if (this.verbose) this.options.stderr.write(this.err.dim(text) + '\n');
  }
}
