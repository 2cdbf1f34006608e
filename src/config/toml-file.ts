import type * as TomlParser from 'toml-eslint-parser';
import type { AST } from 'toml-eslint-parser';
import { AssistError } from '../errors.js';
import { closest } from '../util/edit-distance.js';
import { checkType, findKeyDef, joinKey, KEYS, type ConfigValue, type KeyDef } from './schema.js';

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
      if (item.kind === 'array') throw unknownKey(file, item.loc.start.line, item.resolvedKey.map(String));
      const tablePath = item.resolvedKey.map(String);
      if (!isKnownPrefix(tablePath)) throw unknownKey(file, item.loc.start.line, tablePath);
      for (const kv of item.body) visit([...tablePath, ...keyNames(kv.key)], kv.value, kv.loc.start.line);
    } else {
      visit(keyNames(item.key), item.value, item.loc.start.line);
    }
  }
  return { entries, ast };
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
