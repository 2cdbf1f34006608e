import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execText } from '../util/exec.js';

/** What `assist init` read from the repository, and the AGENTS.md it drafts from it. */
export interface AgentsDraft {
  /** The file's text. */
  text: string;
  /** Commands found, `[what, command, where it came from]`. */
  commands: Array<{ label: string; cmd: string; source: string }>;
  /** Languages by tracked files, most files first. */
  languages: Array<{ name: string; files: number }>;
  /** Top folders by tracked files, in name order. */
  folders: Array<{ name: string; files: number }>;
  /** Workspace or member patterns (npm/yarn/pnpm workspaces, Cargo members, go.work). */
  workspaces: string[];
  /** Another instruction file at the root (CLAUDE.md, ...), imported by the draft so it stays read. */
  imported: string | null;
}

const LANGUAGES: Record<string, string> = {
  ts: 'TypeScript', tsx: 'TypeScript', mts: 'TypeScript', cts: 'TypeScript',
  js: 'JavaScript', jsx: 'JavaScript', mjs: 'JavaScript', cjs: 'JavaScript',
  py: 'Python', pyi: 'Python', go: 'Go', rs: 'Rust', java: 'Java', kt: 'Kotlin', kts: 'Kotlin', scala: 'Scala',
  c: 'C', h: 'C/C++ headers', cc: 'C++', cpp: 'C++', cxx: 'C++', hpp: 'C++', hh: 'C++',
  cs: 'C#', fs: 'F#', rb: 'Ruby', php: 'PHP', swift: 'Swift', m: 'Objective-C', mm: 'Objective-C++',
  ex: 'Elixir', exs: 'Elixir', erl: 'Erlang', hs: 'Haskell', ml: 'OCaml', clj: 'Clojure', lua: 'Lua', dart: 'Dart',
  zig: 'Zig', nim: 'Nim', r: 'R', jl: 'Julia', pl: 'Perl', sh: 'Shell', bash: 'Shell', zsh: 'Shell', ps1: 'PowerShell',
  sql: 'SQL', vue: 'Vue', svelte: 'Svelte', css: 'CSS', scss: 'SCSS', html: 'HTML', proto: 'Protocol Buffers', tf: 'Terraform',
};

/** package.json scripts worth naming first, in this order; the others follow by name. */
const SCRIPT_ORDER = ['install', 'build', 'test', 'lint', 'typecheck', 'check', 'format', 'dev', 'start'];
const MAX_SCRIPTS = 14;
const MAX_MAKE_TARGETS = 12;

/**
 * Drafts a starting AGENTS.md from what the repository shows: build and test commands (package.json
 * scripts, Makefile targets, Cargo, pyproject, Go), the top folders, the languages of the tracked
 * files and the workspaces. It reads; it writes nothing.
 */
export async function draftAgentsFile(root: string, env: NodeJS.ProcessEnv): Promise<AgentsDraft> {
  const listed = await execText('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, env });
  const files = listed.code === 0 ? listed.stdout.split('\0').filter(Boolean) : [];
  const commands: AgentsDraft['commands'] = [];
  const workspaces: string[] = [];

  const pkg = await readJson(join(root, 'package.json'));
  if (pkg) {
    const manager = packageManager(root, pkg);
    // `bun test` is bun's own runner, not the script.
    const run = (name: string): string => (manager !== 'bun' && (name === 'test' || name === 'start') ? `${manager} ${name}` : `${manager} run ${name}`);
    commands.push({ label: 'install', cmd: manager === 'npm' ? (existsSync(join(root, 'package-lock.json')) ? 'npm ci' : 'npm install') : `${manager} install`, source: 'package.json' });
    const scripts = isRecord(pkg.scripts) ? Object.entries(pkg.scripts).filter((e): e is [string, string] => typeof e[1] === 'string') : [];
    const useful = scripts.filter(([name, body]) => !(name === 'test' && /no test specified/i.test(body)) && !/^(pre|post)/.test(name));
    const rank = (name: string): number => (SCRIPT_ORDER.includes(name) ? SCRIPT_ORDER.indexOf(name) : SCRIPT_ORDER.length);
    useful.sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]));
    for (const [name] of useful.slice(0, MAX_SCRIPTS)) commands.push({ label: name, cmd: run(name), source: 'package.json scripts' });
    const ws = Array.isArray(pkg.workspaces) ? pkg.workspaces : isRecord(pkg.workspaces) && Array.isArray(pkg.workspaces.packages) ? pkg.workspaces.packages : [];
    workspaces.push(...ws.filter((w): w is string => typeof w === 'string'));
  }
  const pnpmWorkspace = await readText(join(root, 'pnpm-workspace.yaml'));
  if (pnpmWorkspace !== null) workspaces.push(...[...pnpmWorkspace.matchAll(/^\s*-\s*['"]?([^'"\n#]+?)['"]?\s*$/gm)].map((m) => m[1]!));

  for (const name of ['GNUmakefile', 'makefile', 'Makefile']) {
    const text = await readText(join(root, name));
    if (text === null) continue;
    for (const target of makeTargets(text).slice(0, MAX_MAKE_TARGETS)) commands.push({ label: target, cmd: `make ${target}`, source: name });
    break;
  }

  const cargo = await readText(join(root, 'Cargo.toml'));
  if (cargo !== null) {
    commands.push({ label: 'build', cmd: 'cargo build', source: 'Cargo.toml' }, { label: 'test', cmd: 'cargo test', source: 'Cargo.toml' }, { label: 'lint', cmd: 'cargo clippy', source: 'Cargo.toml' });
    workspaces.push(...tomlList(cargo, 'workspace', 'members'));
  }

  const pyproject = await readText(join(root, 'pyproject.toml'));
  if (pyproject !== null) {
    const runner = /^\[tool\.poetry\]/m.test(pyproject) ? 'poetry run ' : existsSync(join(root, 'uv.lock')) ? 'uv run ' : '';
    const install = runner === 'poetry run ' ? 'poetry install' : runner === 'uv run ' ? 'uv sync' : 'pip install -e .';
    commands.push({ label: 'install', cmd: install, source: 'pyproject.toml' });
    if (/^\[tool\.pytest/m.test(pyproject) || /\bpytest\b/.test(pyproject) || files.some((f) => /(^|\/)(tests?\/|test_[^/]*\.py$|conftest\.py$)/.test(f))) commands.push({ label: 'test', cmd: `${runner}pytest`, source: 'pyproject.toml' });
    if (/^\[tool\.ruff/m.test(pyproject)) commands.push({ label: 'lint', cmd: `${runner}ruff check .`, source: 'pyproject.toml' });
    if (/^\[tool\.mypy/m.test(pyproject)) commands.push({ label: 'typecheck', cmd: `${runner}mypy .`, source: 'pyproject.toml' });
    workspaces.push(...tomlList(pyproject, 'tool.uv.workspace', 'members'));
  }

  const goMod = await readText(join(root, 'go.mod'));
  if (goMod !== null) commands.push({ label: 'build', cmd: 'go build ./...', source: 'go.mod' }, { label: 'test', cmd: 'go test ./...', source: 'go.mod' }, { label: 'lint', cmd: 'go vet ./...', source: 'go.mod' });
  const goWork = await readText(join(root, 'go.work'));
  if (goWork !== null) {
    const block = /^use\s*\(([^)]*)\)/m.exec(goWork)?.[1] ?? '';
    workspaces.push(...block.split('\n').map((l) => l.replace(/\/\/.*/, '').trim()).filter(Boolean), ...[...goWork.matchAll(/^use\s+(\S+)\s*$/gm)].map((m) => m[1]!));
  }

  const languages = countLanguages(files);
  const folders = topFolders(files);
  const imported = ['CLAUDE.md', 'GEMINI.md', 'CONVENTIONS.md'].find((name) => existsSync(join(root, name))) ?? null;
  const draft = { commands, languages, folders, workspaces: [...new Set(workspaces)], imported };
  return { ...draft, text: renderDraft(draft) };
}

function renderDraft(d: Omit<AgentsDraft, 'text'>): string {
  const out = [
    '# AGENTS.md',
    '',
    'Instructions for coding agents working in this repository. `assist init` drafted this file from',
    'what the repository shows: check it, correct it and add what a newcomer must know. Agents read',
    'it with every request; an AGENTS.md in a subfolder adds to it for work there, and a line `@path`',
    'brings in another file.',
  ];
  if (d.imported) out.push('', `The rules in ${d.imported} apply too:`, '', `@${d.imported}`);
  out.push('', '## Build and test', '');
  if (d.commands.length === 0) out.push('- (no build or test commands found: write them here)');
  for (const c of d.commands) out.push(`- ${c.label}: \`${c.cmd}\``);
  out.push('', 'Run the tests before you say a change is done.');
  if (d.folders.length > 0) {
    out.push('', '## Layout', '');
    for (const f of d.folders) out.push(`- \`${f.name}/\`: ${f.files} file${f.files === 1 ? '' : 's'}`);
  }
  if (d.workspaces.length > 0) {
    out.push('', '## Workspaces', '', 'Packages of this repository, each with its own manifest:', '');
    for (const w of d.workspaces) out.push(`- \`${w}\``);
  }
  if (d.languages.length > 0) {
    out.push('', '## Languages', '', d.languages.map((l) => `${l.name} (${l.files} file${l.files === 1 ? '' : 's'})`).join(', '));
  }
  out.push('', '## Conventions', '', '- Follow the style of the code around your change; do not reformat code you do not change.', '- Keep changes small and focused on the task.', '');
  return out.join('\n');
}

function countLanguages(files: readonly string[]): AgentsDraft['languages'] {
  const counts = new Map<string, number>();
  for (const file of files) {
    const name = file.slice(file.lastIndexOf('/') + 1);
    const dot = name.lastIndexOf('.');
    if (dot <= 0) continue;
    const language = LANGUAGES[name.slice(dot + 1).toLowerCase()];
    if (language === undefined || /(^|\/)(node_modules|vendor|dist|build)\//.test(file)) continue;
    counts.set(language, (counts.get(language) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => ({ name, files: n })).sort((a, b) => b.files - a.files || a.name.localeCompare(b.name)).slice(0, 8);
}

function topFolders(files: readonly string[]): AgentsDraft['folders'] {
  const counts = new Map<string, number>();
  for (const file of files) {
    const slash = file.indexOf('/');
    if (slash <= 0) continue;
    const folder = file.slice(0, slash);
    counts.set(folder, (counts.get(folder) ?? 0) + 1);
  }
  return [...counts].map(([name, n]) => ({ name, files: n })).sort((a, b) => a.name.localeCompare(b.name)).slice(0, 24);
}

/** Targets of rules a person would run: not special (`.PHONY`), not patterns, not files with a dot. */
export function makeTargets(text: string): string[] {
  const targets: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('\t') || line.startsWith('#') || line.startsWith(' ')) continue;
    const rule = /^([^:=#]+?)\s*::?(?!=)/.exec(line);
    if (!rule?.[1]) continue;
    for (const t of rule[1].trim().split(/\s+/)) {
      if (t.startsWith('.') || t.includes('%') || t.includes('$') || t.includes('/') || t.includes('.')) continue;
      if (!targets.includes(t)) targets.push(t);
    }
  }
  return targets;
}

/** The strings of `key = [...]` in `[section]` of a TOML file (a light scan, enough for member lists). */
function tomlList(text: string, section: string, key: string): string[] {
  const start = text.search(new RegExp(`^\\[${section.replace(/\./g, '\\.')}\\]\\s*$`, 'm'));
  if (start < 0) return [];
  const rest = text.slice(start).split('\n').slice(1);
  const end = rest.findIndex((l) => /^\[/.test(l));
  const body = (end < 0 ? rest : rest.slice(0, end)).join('\n');
  const list = new RegExp(`^${key}\\s*=\\s*\\[([^\\]]*)\\]`, 'm').exec(body)?.[1] ?? '';
  return [...list.matchAll(/["']([^"']+)["']/g)].map((m) => m[1]!);
}

function packageManager(root: string, pkg: Record<string, unknown>): string {
  const declared = typeof pkg.packageManager === 'string' ? /^(npm|pnpm|yarn|bun)@/.exec(pkg.packageManager)?.[1] : undefined;
  if (declared) return declared;
  if (existsSync(join(root, 'pnpm-lock.yaml'))) return 'pnpm';
  if (existsSync(join(root, 'yarn.lock'))) return 'yarn';
  if (existsSync(join(root, 'bun.lockb')) || existsSync(join(root, 'bun.lock'))) return 'bun';
  return 'npm';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function readText(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch(() => null);
}

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  const text = await readText(path);
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}
