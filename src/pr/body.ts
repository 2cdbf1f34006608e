import type { FileReview } from '../review/index.js';

/** Everything the pull-request body says. */
export interface BodyInput {
  task: string;
  /** The model's first reply to the task (edit blocks are taken out here). */
  reply: string;
  base: string;
  branch: string;
  commits: ReadonlyArray<{ commit: string; summary: string }>;
  /** Set when the commits were squashed into this one. */
  squashedInto?: string | null;
  files: readonly string[];
  refused: ReadonlyArray<{ file: string; reason: string }>;
  /** The review of the committed files: its breaking changes and risks get sections of their own. */
  review?: readonly FileReview[];
  tests: { status: 'passed' | 'failed' | 'not run'; command: string | null; output?: string | undefined };
  usage: { input_tokens: number; output_tokens: number; estimated: boolean; cost_usd: number | null };
  model: string;
  session: string;
  /** Values that must never appear in the body (provider keys, tokens). */
  secrets?: readonly string[];
}

const EDIT_BLOCK = /(?:^[^\n`]*\n)?(`{3,}|~{3,})[^\n]*\n<{5,9} SEARCH[\s\S]*?>{5,9} REPLACE[^\n]*\n\1[^\n]*(?:\n|$)/gm;

/** The prose of a reply: SEARCH/REPLACE blocks (with the file name line before each) removed. */
export function replyProse(reply: string): string {
  return reply
    .replace(EDIT_BLOCK, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** A fence longer than any run of backticks in `text`, so the text cannot close it. */
export function fenceFor(text: string): string {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return '`'.repeat(Math.max(3, longest + 1));
}

// Escape sequences are what this matches.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** The end of a test run's output, cleaned of terminal codes, within `maxChars`. */
export function outputTail(output: string, maxChars = 6000): string {
  const text = output.replace(ANSI, '').replace(/\r\n/g, '\n').replace(/\n+$/, '').trim();
  if (text.length <= maxChars) return text;
  const cut = text.slice(text.length - maxChars);
  const nl = cut.indexOf('\n');
  return `[… ${text.length - maxChars + (nl >= 0 ? nl + 1 : 0)} characters cut …]\n${nl >= 0 ? cut.slice(nl + 1) : cut}`;
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8 && out.includes(secret)) out = out.split(secret).join('[redacted]');
  return out;
}

/** Names and paths from the repository, as inert Markdown: no markup, mentions or HTML. */
function markdownText(text: string): string {
  return text.replace(/[\\`*_[\]<>#|@~]/g, (ch) => `\\${ch}`);
}

function fenced(text: string, lang = ''): string {
  const fence = fenceFor(text);
  return `${fence}${lang}\n${text}\n${fence}`;
}

function tokens(usage: BodyInput['usage']): string {
  const n = (v: number): string => v.toLocaleString('en-US');
  const cost = usage.cost_usd === null ? 'cost unknown (no price for this model)' : `about $${usage.cost_usd.toFixed(usage.cost_usd < 0.01 ? 4 : 2)}`;
  return `${n(usage.input_tokens)} input and ${n(usage.output_tokens)} output tokens${usage.estimated ? ' (estimated: the server reported no usage)' : ''}, ${cost}`;
}

/**
 * The pull-request body: the task (fenced: it is someone else's text, and must not ping people or
 * render as markup), what the model said it did, the commits and files, what was refused, the
 * tests and their result, tokens and cost. Secrets are redacted from all of it.
 */
export function renderBody(input: BodyInput): string {
  const parts: string[] = [];
  const prose = replyProse(input.reply);
  parts.push(prose === '' ? '_The model gave no explanation beyond its edits._' : prose);
  parts.push(`### Task\n\n${fenced(input.task.trim(), 'text')}`);

  const commitLines = input.commits.map((c) => `- ${c.commit.slice(0, 12)} ${c.summary}`);
  const squash = input.squashedInto ? `\n\nSquashed into ${input.squashedInto.slice(0, 12)}.` : '';
  parts.push(`### Commits\n\nOn \`${input.branch}\`, from \`${input.base}\`:\n\n${commitLines.join('\n')}${squash}`);
  const breaking = (input.review ?? []).flatMap((f) => f.breaking);
  if (breaking.length > 0) {
    parts.push(`### Breaking changes\n\nExported definitions that other files use were removed or changed their signature:\n\n${breaking.map((b) => `- \`${b.file}\`: ${markdownText(b.text)}`).join('\n')}`);
  }
  const risks = (input.review ?? []).flatMap((f) => f.risks.map((r) => ({ file: f.file, ...r })));
  if (risks.length > 0) parts.push(`### Risks\n\n${risks.map((r) => `- \`${r.file}\` **${markdownText(r.tag)}**: ${markdownText(r.reason)}`).join('\n')}`);
  parts.push(`### Files\n\n${input.files.map((f) => `- \`${f}\``).join('\n')}`);
  if (input.refused.length > 0) {
    parts.push(`### Not done\n\nThese edits were refused, so this branch does not contain them:\n\n${input.refused.map((r) => `- \`${r.file}\`: ${r.reason}`).join('\n')}`);
  }

  const { tests } = input;
  let testText: string;
  if (tests.status === 'not run') testText = tests.command === null ? 'Not run: no test command is configured or detected.' : `Not run (\`${tests.command}\`).`;
  else {
    testText = `\`${tests.command ?? 'tests'}\`: **${tests.status}**${tests.status === 'failed' ? ' (after the fixes the model was allowed)' : ''}.`;
    const out = tests.output === undefined ? '' : outputTail(tests.output);
    if (out !== '') testText += `\n\n<details><summary>Test output${tests.status === 'failed' ? '' : ' (end)'}</summary>\n\n${fenced(out)}\n\n</details>`;
  }
  parts.push(`### Tests\n\n${testText}`);
  parts.push(`### Usage\n\n${tokens(input.usage)}; model \`${input.model}\`, session \`${input.session}\`.`);
  parts.push('---\n_Written by `assist pr`. Review it as you would any contribution._');
  return `${redact(parts.join('\n\n'), input.secrets ?? [])}\n`;
}

/** The message of a squashed PR commit: a summary line from the task, then the commits and files. */
export function squashBody(commits: ReadonlyArray<{ commit: string; summary: string }>, files: readonly string[]): string {
  const lines = ['Squashed from:', ...commits.map((c) => `- ${c.summary} (${c.commit.slice(0, 12)})`), '', 'Files:', ...files.map((f) => `- ${f}`)];
  return lines.join('\n');
}
