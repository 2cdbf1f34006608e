import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AssistError, usageError } from '../errors.js';
import { closest } from '../util/edit-distance.js';
import { checkType, findKeyDef, joinKey, KEYS, parseTextValue, splitKey, type ConfigValue } from './schema.js';
import { loadToml, parseConfigText } from './toml-file.js';
import type { AST } from 'toml-eslint-parser';
import { writeFileAtomic } from '../util/atomic-write.js';

/** Renders a value as TOML. */
export function tomlValue(value: ConfigValue): string {
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** Validates `KEY VALUE` as typed by a person and returns the typed value. */
export function parseKeyValue(key: string, text: string): { parts: string[]; value: ConfigValue } {
  const parts = splitKey(key);
  const def = findKeyDef(parts);
  if (!def) {
    const suggestion = closest(key, KEYS.map((d) => d.key));
    throw usageError('config.unknown-key', `unknown config key '${key}'`, suggestion ? `did you mean '${suggestion}'?` : 'see `assist config list`');
  }
  const checked = checkType(def.type, parseTextValue(def.type, text));
  if (!checked.ok) throw usageError('config.wrong-type', `${joinKey(parts)} ${checked.expected}, got ${JSON.stringify(text)}`);
  return { parts, value: checked.value };
}

/**
 * Sets one key in a TOML file and keeps everything else byte for byte, comments included: an existing
 * value is replaced in place; a new key goes at the end of its `[table]`, or into a new table at the end.
 */
export async function setKeyInText(text: string, file: string, parts: string[], value: ConfigValue): Promise<string> {
  const parsed = await parseConfigText(text, file);
  const existing = parsed.entries.find((e) => e.parts.length === parts.length && e.parts.every((p, i) => p === parts[i]));
  const rendered = tomlValue(value);
  if (existing) {
    const [start, end] = existing.valueRange;
    return text.slice(0, start) + rendered + text.slice(end);
  }
  await loadToml();
  const top = parsed.ast.body[0];
  const tablePath = parts.slice(0, -1);
  const leaf = joinKey(parts.slice(-1));
  const sameTable = (t: AST.TOMLTable): boolean =>
    t.kind === 'standard' && t.resolvedKey.length === tablePath.length && t.resolvedKey.every((k, i) => String(k) === tablePath[i]);
  const line = `${leaf} = ${rendered}`;

  if (tablePath.length === 0) {
    const firstTable = top.body.find((n): n is AST.TOMLTable => n.type === 'TOMLTable');
    if (!firstTable) return appendLine(text, line);
    const topLevel = top.body.filter((n): n is AST.TOMLKeyValue => n.type === 'TOMLKeyValue');
    const lastTopLevel = topLevel[topLevel.length - 1];
    if (lastTopLevel) {
      const at = lineEnd(text, lastTopLevel.range[1]);
      return text.slice(0, at) + '\n' + line + text.slice(at);
    }
    const at = lineStart(text, firstTable.range[0]);
    return text.slice(0, at) + line + '\n' + text.slice(at);
  }
  const table = top.body.find((n): n is AST.TOMLTable => n.type === 'TOMLTable' && sameTable(n));
  if (table) {
    const last = table.body[table.body.length - 1];
    const anchor = last ? last.range[1] : table.key.range[1] + 1;
    const at = lineEnd(text, anchor);
    return text.slice(0, at) + '\n' + line + text.slice(at);
  }
  const header = `[${joinKey(tablePath)}]`;
  const body = text === '' || text.endsWith('\n\n') ? text : text.endsWith('\n') ? text + '\n' : text + '\n\n';
  return body + header + '\n' + line + '\n';
}

function appendLine(text: string, line: string): string {
  if (text === '') return line + '\n';
  return (text.endsWith('\n') ? text : text + '\n') + line + '\n';
}

function lineStart(text: string, index: number): number {
  const nl = text.lastIndexOf('\n', index - 1);
  return nl === -1 ? 0 : nl + 1;
}

function lineEnd(text: string, index: number): number {
  const nl = text.indexOf('\n', index);
  return nl === -1 ? text.length : nl;
}

/**
 * Writes `key = value` into a config file, atomically. `tmpDir` is where the temporary file goes
 * (for the project file: inside the git dir, so nothing of assist's lands in the work tree).
 */
export async function setConfigValue(file: string, key: string, valueText: string, tmpDir: string = dirname(file)): Promise<ConfigValue> {
  const { parts, value } = parseKeyValue(key, valueText);
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AssistError('config.unreadable', `cannot read ${file}: ${(error as Error).message}`, { hint: 'check its permissions' });
    }
  }
  const updated = await setKeyInText(text, file, parts, value);
  await parseConfigText(updated, file); // never write a file we could not read back
  await mkdir(dirname(file), { recursive: true });
  await mkdir(tmpDir, { recursive: true });
  try {
    await writeFileAtomic(file, updated, { tempDir: tmpDir });
  } catch (error) {
    throw new AssistError('config.write-failed', `cannot write ${file}: ${(error as Error).message}`, { hint: 'check the permissions of the file and its folder' });
  }
  return value;
}
