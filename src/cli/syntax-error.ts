/**
 * Clipanion's syntax errors (a missing or extra argument, an unknown option, a command that is not
 * one) in assist's own two lines, `error:` what is wrong and `hint:` the usage, instead of its
 * "Unknown Syntax Error" block with numbered, repeated usages and `#0` for every option's value.
 */

/** What clipanion's `UnknownSyntaxError` carries (clipanion/lib/errors.js). */
interface SyntaxFailure {
  input: readonly string[];
  candidates: readonly { usage: string; reason: string | null }[];
}

function isSyntaxFailure(error: unknown): error is Error & SyntaxFailure {
  return error instanceof Error && error.name === 'UnknownSyntaxError' && Array.isArray((error as Partial<SyntaxFailure>).input) && Array.isArray((error as Partial<SyntaxFailure>).candidates);
}

/** The start- and end-of-input tokens clipanion puts in `input` (clipanion/lib/constants.js). */
const MARKERS = new Set(['\u0000', '\u0001']);

/** A token as typed in a shell: quoted when it holds a space or a quote. */
const shellWord = (token: string): string => (/[\s"'\\]/.test(token) || token === '' ? JSON.stringify(token) : token);

/** A usage as a person reads it: an option's value is `VALUE`, not clipanion's `#0`. */
function readableUsage(usage: string): string {
  return usage.replace(/ #\d+/g, ' VALUE');
}

/** Clipanion's reason for a failed parse, said the way assist's other usage errors say things. */
function readableReason(reason: string): string {
  let m: RegExpMatchArray | null;
  if (/^Not enough positional arguments\.?$/.test(reason)) return 'an argument is missing';
  if ((m = /^Extraneous positional argument \("(.*)"\)\.?$/.exec(reason))) return `unexpected argument '${m[1]}'`;
  if ((m = /^Unsupported option name \("(.*)"\)\.?$/.exec(reason))) return `unknown option ${m[1]}`;
  if ((m = /^Not enough arguments to option (.*?)\.?$/.exec(reason))) return `${m[1]} needs a value`;
  const text = reason.replace(/\.$/, '');
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * The error and hint for a syntax error of clipanion's; undefined for any other error (which is
 * then shown as clipanion shows it).
 */
export function syntaxErrorLines(error: unknown): { error: string; hint: string } | undefined {
  if (!isSyntaxFailure(error)) return undefined;
  const typed = ['assist', ...error.input.filter((token) => !MARKERS.has(token)).map(shellWord)].join(' ');
  const usages = [...new Set(error.candidates.map((c) => readableUsage(c.usage)))];
  const reason = error.candidates[0]?.reason ?? null;
  const shared = reason !== null && error.candidates.every((c) => c.reason === reason);
  const what = shared ? readableReason(reason) : `no command matches: ${typed}`;
  if (usages.length === 0) return { error: what, hint: 'see `assist --help`' };
  if (usages.length === 1) return { error: what, hint: `usage: ${usages[0]!}` };
  return { error: what, hint: `usage, one of:\n${usages.map((u) => `  ${u}`).join('\n')}` };
}
