import type * as TomlParser from 'toml-eslint-parser';
import type { AST } from 'toml-eslint-parser';
import { AssistError } from '../errors.js';
import { closest } from '../util/edit-distance.js';
import { AGENT_HOOK_EVENTS, checkType, findKeyDef, joinKey, KEYS, type ConfigValue, type KeyDef } from './schema.js';

/** A key found in a TOML file, with where it was written. */
export interface FileEntry {
  key: string;
  parts: string[];
  value: ConfigValue;
  line: number;
  def: KeyDef;
  /** The value's character range in the file, for in-place edits. */
  valueRange: [number, number];
}

export interface ParsedConfigFile {
  entries: FileEntry[];
  ast: AST.TOMLProgram;
}

type TomlModule = typeof TomlParser;
let tomlModule: TomlModule | undefined;

/** toml-eslint-parser keeps source positions, which `config set` and error lines need. */
export async function loadToml(): Promise<TomlModule> {
  tomlModule ??= await import('toml-eslint-parser');
  return tomlModule;
}

function keyNames(key: AST.TOMLKey): string[] {
  return key.keys.map((k) => (k.type === 'TOMLBare' ? k.name : k.value));
}

/**
 * Flattens a TOML document into dotted keys with their lines, and validates each against the schema.
 * Throws an AssistError naming the file, the line and the key on the first problem.
 */
export async function parseConfigText(text: string, file: string): Promise<ParsedConfigFile> {
  const toml = await loadToml();
  let ast: AST.TOMLProgram;
  try {
    ast = toml.parseTOML(text);
  } catch (error) {
    const e = error as { lineNumber?: number; column?: number; message?: string };
    throw new AssistError('config.syntax', `${file}:${e.lineNumber ?? 0}: TOML syntax error: ${e.message ?? String(error)}`, {
      hint: `fix the file at line ${e.lineNumber ?? 0}, or move it aside`,
      data: { file, line: e.lineNumber },
      cause: error,
    });
  }
  const entries: FileEntry[] = [];
  const visit = (prefix: string[], node: AST.TOMLContentNode, line: number): void => {
    if (node.type === 'TOMLInlineTable') {
      for (const kv of node.body) visit([...prefix, ...keyNames(kv.key)], kv.value, kv.loc.start.line);
      return;
    }
    // `agent_hooks.pre_tool = [{ command = "…" }]`: the inline spelling of `[[agent_hooks.pre_tool]]`.
    if (node.type === 'TOMLArray' && isHookList(prefix) && node.elements.every((e) => e.type === 'TOMLInlineTable')) {
      node.elements.forEach((e, i) => visit([...prefix, String(i)], e, e.loc.start.line));
      return;
    }
    const def = findKeyDef(prefix);
    if (!def) {
      // A table written as a value for a section (`context = { ... }`) is handled above; anything else is unknown.
      throw unknownKey(file, line, prefix);
    }
    const value = toml.getStaticTOMLValue(node as never) as unknown;
    const checked = checkType(def.type, value);
    if (!checked.ok) {
      throw new AssistError('config.wrong-type', `${file}:${line}: ${joinKey(prefix)} ${checked.expected}, got ${JSON.stringify(value)}`, {
        hint: `fix line ${line} of ${file}`,
        data: { file, line, key: joinKey(prefix) },
      });
    }
    entries.push({ key: joinKey(prefix), parts: prefix, value: checked.value, line, def, valueRange: [node.range[0], node.range[1]] });
  };
  const top = ast.body[0];
  for (const item of top.body) {
    if (item.type === 'TOMLTable') {
      const tablePath = item.resolvedKey.map(String);
      // Arrays of tables only for agent hooks: `[[agent_hooks.pre_tool]]` resolves to `agent_hooks.pre_tool.<index>`.
      if (item.kind === 'array' && !isHookList(tablePath.slice(0, -1))) throw unknownKey(file, item.loc.start.line, tablePath.slice(0, -1));
      if (!isKnownPrefix(tablePath)) throw unknownKey(file, item.loc.start.line, tablePath);
      for (const kv of item.body) visit([...tablePath, ...keyNames(kv.key)], kv.value, kv.loc.start.line);
    } else {
      visit(keyNames(item.key), item.value, item.loc.start.line);
    }
  }
  checkHooksHaveCommands(entries, file);
  return { entries, ast };
}

function isHookList(path: readonly string[]): boolean {
  return path.length === 2 && path[0] === 'agent_hooks' && (AGENT_HOOK_EVENTS as readonly string[]).includes(path[1] ?? '');
}

/** A hook entry without `command` would silently do nothing: an error at the entry's first line. */
function checkHooksHaveCommands(entries: readonly FileEntry[], file: string): void {
  const hooks = new Map<string, { line: number; command: boolean }>();
  for (const e of entries) {
    if (e.parts[0] !== 'agent_hooks') continue;
    const id = e.parts.slice(0, 3).join('.');
    const known = hooks.get(id) ?? { line: e.line, command: false };
    known.line = Math.min(known.line, e.line);
    if (e.parts[3] === 'command') known.command = true;
    hooks.set(id, known);
  }
  for (const [id, { line, command }] of hooks) {
    if (command) continue;
    const [, event] = id.split('.');
    throw new AssistError('config.missing-key', `${file}:${line}: an [[agent_hooks.${event ?? ''}]] entry has no command`, {
      hint: `add command = "…" to the entry at line ${line} of ${file}, or remove it`,
      data: { file, line, key: id },
    });
  }
}

function isKnownPrefix(path: string[]): boolean {
  return KEYS.some((def) => {
    const pattern = def.key.split('.');
    if (pattern.length <= path.length) return false;
    return path.every((seg, i) => pattern[i] === '*' || pattern[i] === seg);
  });
}

function unknownKey(file: string, line: number, parts: string[]): AssistError {
  const key = joinKey(parts);
  const suggestion = closest(key, KEYS.map((d) => d.key));
  return new AssistError('config.unknown-key', `${file}:${line}: unknown key '${key}'`, {
    hint: suggestion ? `did you mean '${suggestion}'?` : 'see `assist config list` for the known keys',
    data: { file, line, key },
  });
}
