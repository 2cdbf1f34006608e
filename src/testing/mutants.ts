import type * as WebTreeSitter from 'web-tree-sitter';
import type { Node as TsNode, Parser as TsParser } from 'web-tree-sitter';
import { AssistError, usageError } from '../errors.js';
import { grammarPath, languageForPath, type LanguageId } from '../context/languages.js';
import type { Mutant, MutantKind } from './types.js';

export type { Mutant, MutantKind } from './types.js';

/** A definition the mutants were made from. */
export interface MutatedDefinition {
  name: string;
  startLine: number;
  endLine: number;
}

export interface MutantSet {
  language: LanguageId;
  definitions: MutatedDefinition[];
  mutants: Mutant[];
  /** Mutants that parsed before the cap (`max`) was applied. */
  available: number;
  /** Mutants dropped because the changed file did not parse. */
  unparsable: number;
}

export interface MutantOptions {
  /** `name`, or `Outer.name` for a method; absent: every function of the file. */
  symbol?: string;
  /** At most this many (`test.mutants`); the kinds take turns so a small cap still mixes them. */
  max?: number;
}

const SUPPORTED = new Set<LanguageId>(['typescript', 'tsx', 'javascript', 'python', 'go']);

/** Whether `mutantsFor` can mutate a file of this path's language. */
export function canMutate(path: string): boolean {
  const spec = languageForPath(path);
  return spec !== undefined && SUPPORTED.has(spec.id);
}

let treeSitter: Promise<typeof WebTreeSitter> | undefined;
const parsers = new Map<LanguageId, Promise<TsParser>>();

function parserFor(id: LanguageId): Promise<TsParser> {
  let parser = parsers.get(id);
  if (!parser) {
    parser = (async () => {
      treeSitter ??= import('web-tree-sitter').then(async (mod) => {
        await mod.Parser.init();
        return mod;
      });
      const ts = await treeSitter;
      const spec = languageForPath(`x${EXTENSION[id]}`);
      const language = await ts.Language.load(grammarPath(spec!));
      const p = new ts.Parser();
      p.setLanguage(language);
      return p;
    })();
    parsers.set(id, parser);
  }
  return parser;
}

const EXTENSION: Record<LanguageId, string> = {
  typescript: '.ts',
  tsx: '.tsx',
  javascript: '.js',
  python: '.py',
  go: '.go',
  rust: '.rs',
  java: '.java',
  c: '.c',
  cpp: '.cpp',
  ruby: '.rb',
  elixir: '.ex',
  csharp: '.cs',
  php: '.php',
};

/** Whether `content` parses without error as the language of `path` (a mutant must). */
export async function parsesCleanly(path: string, content: string): Promise<boolean> {
  const spec = languageForPath(path);
  if (!spec) return true;
  const parser = await parserFor(spec.id);
  const tree = parser.parse(content);
  try {
    return tree !== null && !tree.rootNode.hasError;
  } finally {
    tree?.delete();
  }
}

/**
 * Mutants of the target definition of a file, made from its syntax tree: arithmetic, comparison
 * and logical operators swapped, conditions negated, constants moved by one, returned values
 * replaced, statements removed. Every change lies inside the target's body, so the file's other
 * definitions stay as they are; every mutant parses (those that do not are dropped).
 */
export async function mutantsFor(path: string, content: string, options: MutantOptions = {}): Promise<MutantSet> {
  const spec = languageForPath(path);
  if (!spec || !SUPPORTED.has(spec.id)) {
    throw new AssistError('test.language-unsupported', `no mutants for ${path}: the mutation check knows TypeScript, JavaScript, Python and Go`, {
      hint: 'name a file of one of those languages',
    });
  }
  const parser = await parserFor(spec.id);
  const tree = parser.parse(content);
  if (!tree) throw new AssistError('test.parse-failed', `${path} could not be parsed`);
  try {
    const all = definitionsIn(tree.rootNode, spec.id);
    let targets = all.filter((d) => d.body !== null);
    if (options.symbol !== undefined) {
      targets = all.filter((d) => d.body !== null && matches(d.qualified, options.symbol!));
      if (targets.length === 0) {
        const names = all.filter((d) => d.body !== null).map((d) => d.qualified);
        throw usageError('test.target-not-found', `${path} defines no function or method named ${options.symbol}`, names.length > 0 ? `it defines: ${names.slice(0, 12).join(', ')}` : 'name a file that defines functions');
      }
    }
    // A method inside a targeted class is mutated once, as part of the class's own targets.
    targets = targets.filter((d) => !targets.some((o) => o !== d && o.node.startIndex <= d.node.startIndex && o.node.endIndex >= d.node.endIndex));
    const candidates: Array<Omit<Mutant, 'id' | 'content' | 'description'> & { start: number; end: number }> = [];
    for (const def of targets) {
      for (const c of changesIn(def.body!, spec.id)) {
        candidates.push({ ...c, definition: def.qualified, line: c.node.startPosition.row + 1, column: c.node.startPosition.column + 1, start: c.node.startIndex, end: c.node.endIndex });
      }
    }
    const seen = new Set<string>();
    const parsed: Mutant[] = [];
    let unparsable = 0;
    for (const c of candidates) {
      const mutated = content.slice(0, c.start) + c.replacement + content.slice(c.end);
      if (mutated === content || seen.has(mutated)) continue;
      seen.add(mutated);
      const check = parser.parse(mutated);
      const ok = check !== null && !check.rootNode.hasError;
      check?.delete();
      if (!ok) {
        unparsable++;
        continue;
      }
      parsed.push({
        id: '',
        kind: c.kind,
        line: c.line,
        column: c.column,
        definition: c.definition,
        original: c.original,
        replacement: c.replacement,
        description: describe(c.kind, c.line, c.original, c.replacement),
        content: mutated,
      });
    }
    const chosen = interleave(parsed, options.max ?? Infinity).map((m, i) => ({ ...m, id: `m${i + 1}` }));
    return {
      language: spec.id,
      definitions: targets.map((d) => ({ name: d.qualified, startLine: d.node.startPosition.row + 1, endLine: d.node.endPosition.row + 1 })),
      mutants: chosen,
      available: parsed.length,
      unparsable,
    };
  } finally {
    tree.delete();
  }
}

function matches(qualified: string, symbol: string): boolean {
  return qualified === symbol || qualified.endsWith(`.${symbol}`);
}

function describe(kind: MutantKind, line: number, original: string, replacement: string): string {
  const short = (s: string): string => {
    const one = s.replace(/\s+/g, ' ').trim();
    return one.length > 60 ? `${one.slice(0, 57)}...` : one;
  };
  if (kind === 'statement') return `line ${line}: removed \`${short(original)}\``;
  return `line ${line}: \`${short(original)}\` → \`${short(replacement)}\``;
}

/** The kinds take turns, each in source order, so that a cap keeps a mix rather than the first kind only. */
function interleave(mutants: readonly Mutant[], max: number): Mutant[] {
  const byKind = new Map<MutantKind, Mutant[]>();
  for (const m of mutants) byKind.set(m.kind, [...(byKind.get(m.kind) ?? []), m]);
  const queues = [...byKind.values()];
  const out: Mutant[] = [];
  while (out.length < max && queues.some((q) => q.length > 0)) {
    for (const q of queues) {
      const next = q.shift();
      if (next && out.length < max) out.push(next);
    }
  }
  return out;
}

interface Definition {
  qualified: string;
  node: TsNode;
  body: TsNode | null;
}

/** Function-like definitions, with their container's name (`Class.method`, Go's `Receiver.Method`). */
function definitionsIn(root: TsNode, lang: LanguageId): Definition[] {
  const out: Definition[] = [];
  const visit = (node: TsNode, outer: string[]): void => {
    let name: string | null = null;
    let body: TsNode | null = null;
    let container = false;
    switch (node.type) {
      case 'function_declaration':
      case 'generator_function_declaration':
      case 'function_definition':
      case 'method_definition':
        name = node.childForFieldName('name')?.text ?? null;
        body = node.childForFieldName('body');
        break;
      case 'method_declaration': {
        name = node.childForFieldName('name')?.text ?? null;
        body = node.childForFieldName('body');
        const receiver = node.childForFieldName('receiver')?.text.match(/([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\)$/)?.[1];
        if (name && receiver) name = `${receiver}.${name}`;
        break;
      }
      case 'variable_declarator': {
        const value = node.childForFieldName('value');
        if (value && (value.type === 'arrow_function' || value.type === 'function_expression' || value.type === 'function')) {
          name = node.childForFieldName('name')?.text ?? null;
          body = value.childForFieldName('body');
        }
        break;
      }
      case 'public_field_definition': {
        const value = node.childForFieldName('value');
        if (value && (value.type === 'arrow_function' || value.type === 'function_expression')) {
          name = node.childForFieldName('name')?.text ?? null;
          body = value.childForFieldName('body');
        }
        break;
      }
      case 'class_declaration':
      case 'class':
      case 'abstract_class_declaration':
      case 'class_definition':
        name = node.childForFieldName('name')?.text ?? null;
        container = true;
        break;
    }
    const qualified = name === null ? null : lang === 'go' || outer.length === 0 ? name : `${outer.join('.')}.${name}`;
    if (qualified !== null) out.push({ qualified, node, body: container ? null : body });
    const nextOuter = qualified !== null && (container || lang === 'python') ? qualified.split('.') : outer;
    for (const child of node.namedChildren) if (child) visit(child, nextOuter);
  };
  visit(root, []);
  return out;
}

interface Change {
  kind: MutantKind;
  node: TsNode;
  original: string;
  replacement: string;
}

const ARITHMETIC: Record<string, string[]> = { '+': ['-'], '-': ['+'], '*': ['/'], '/': ['*'], '%': ['*'], '**': ['*'], '//': ['*'], '+=': ['-='], '-=': ['+='], '*=': ['/='], '/=': ['*='] };
const COMPARISON: Record<string, string[]> = {
  '<': ['<=', '>='],
  '<=': ['<', '>'],
  '>': ['>=', '<='],
  '>=': ['>', '<'],
  '==': ['!='],
  '!=': ['=='],
  '===': ['!=='],
  '!==': ['==='],
};
const LOGICAL: Record<string, string[]> = { '&&': ['||'], '||': ['&&'], and: ['or'], or: ['and'] };
const OPERATOR_PARENTS = new Set(['binary_expression', 'binary_operator', 'comparison_operator', 'boolean_operator', 'augmented_assignment_expression', 'augmented_assignment', 'assignment_statement']);
const NUMBER_TYPES = new Set(['number', 'integer', 'float', 'int_literal', 'float_literal']);
const STRING_TYPES = new Set(['string', 'template_string', 'interpreted_string_literal', 'raw_string_literal']);
const FUNCTION_TYPES = new Set(['arrow_function', 'function_expression', 'function', 'function_declaration', 'function_definition', 'method_definition', 'func_literal', 'lambda']);

/** The changes of one body, in source order. */
function changesIn(body: TsNode, lang: LanguageId): Change[] {
  const out: Change[] = [];
  const not = (text: string): string => (lang === 'python' ? `not (${text})` : `!(${text})`);
  // An arrow function's expression body is its returned value.
  if (body.type !== 'statement_block' && body.type !== 'block') {
    const r = returnReplacement(body, lang);
    if (r !== null) out.push({ kind: 'return', node: body, original: body.text, replacement: r });
  }
  const visit = (node: TsNode): void => {
    const parent = node.parent;
    if (!node.isNamed && parent && OPERATOR_PARENTS.has(parent.type)) {
      const op = node.type;
      for (const [kind, table] of [['arithmetic', ARITHMETIC], ['comparison', COMPARISON], ['logical', LOGICAL]] as const) {
        for (const to of table[op] ?? []) out.push({ kind, node, original: op, replacement: to });
      }
    }
    switch (node.type) {
      case 'if_statement':
      case 'while_statement':
      case 'do_statement':
      case 'elif_clause':
      case 'ternary_expression': {
        const cond = node.childForFieldName('condition');
        if (cond) {
          const replacement = cond.type === 'parenthesized_expression' ? `(${not(cond.text)})` : not(cond.text);
          out.push({ kind: 'condition', node: cond, original: cond.text, replacement });
        }
        break;
      }
      case 'conditional_expression': {
        const cond = node.namedChildren[1];
        if (cond) out.push({ kind: 'condition', node: cond, original: cond.text, replacement: `(${not(cond.text)})` });
        break;
      }
      case 'unary_expression':
      case 'not_operator': {
        const op = node.childForFieldName('operator')?.type ?? node.child(0)?.type;
        const arg = node.childForFieldName('argument') ?? node.childForFieldName('operand') ?? node.namedChildren.at(-1);
        if ((op === '!' || op === 'not') && arg) out.push({ kind: 'condition', node, original: node.text, replacement: arg.type === 'parenthesized_expression' || /^[\w.]+$/.test(arg.text) ? arg.text : `(${arg.text})` });
        break;
      }
      case 'true':
      case 'false': {
        const flip: Record<string, string> = lang === 'python' ? { True: 'False', False: 'True' } : { true: 'false', false: 'true' };
        const to = flip[node.text];
        if (to) out.push({ kind: 'constant', node, original: node.text, replacement: to });
        break;
      }
      case 'return_statement': {
        let value = node.namedChildren.find((c) => c !== null && c.type !== 'comment') ?? null;
        // Go wraps even one returned value in an expression_list; several values are left alone.
        if (value?.type === 'expression_list') value = value.namedChildCount === 1 ? value.namedChildren[0]! : null;
        if (value) {
          const r = returnReplacement(value, lang);
          if (r !== null) out.push({ kind: 'return', node: value, original: value.text, replacement: r });
        }
        break;
      }
      case 'expression_statement':
      case 'inc_statement':
      case 'dec_statement':
      case 'assignment_statement': {
        const container = parent?.type;
        if (container === 'statement_block' || container === 'block' || container === 'statement_list') {
          out.push({ kind: 'statement', node, original: node.text, replacement: lang === 'python' ? 'pass' : '' });
        }
        break;
      }
    }
    if (NUMBER_TYPES.has(node.type)) {
      const bumped = bump(node.text);
      if (bumped !== null) out.push({ kind: 'constant', node, original: node.text, replacement: bumped });
    }
    // Type annotations hold no behaviour worth mutating (and `1` in a literal type is not a value).
    for (const child of node.children) if (child && !/type_annotation|type_arguments|type_parameters/.test(child.type)) visit(child);
  };
  for (const child of body.children) if (child) visit(child);
  return out;
}

/** A decimal constant moved by one (the boundary a test of `< 10` should pin down). */
function bump(text: string): string | null {
  if (/^\d+$/.test(text)) return String(BigInt(text) + 1n);
  const m = text.match(/^(\d*)\.(\d+)$/);
  if (m) return String(Number(text) + 1);
  return null;
}

/** What a returned value becomes: the opposite truth, zero, an empty string, or nothing. */
function returnReplacement(value: TsNode, lang: LanguageId): string | null {
  const text = value.text;
  const kind = valueKind(value);
  if (FUNCTION_TYPES.has(value.type)) return null;
  if (kind === 'boolean') return lang === 'python' ? `not (${text})` : `!(${text})`;
  if (kind === 'number') return text.trim() === '0' ? '1' : '0';
  if (kind === 'string') {
    const empty = lang === 'go' ? '""' : "''";
    return text === empty || text === '""' || text === "''" ? null : empty;
  }
  // Go has no value that fits every type; elsewhere the language's "nothing".
  if (lang === 'go') return null;
  const nothing = lang === 'python' ? 'None' : 'undefined';
  return text === nothing || text === 'null' ? null : nothing;
}

function valueKind(node: TsNode): 'boolean' | 'number' | 'string' | 'other' {
  if (node.type === 'parenthesized_expression') {
    const inner = node.namedChildren[0];
    return inner ? valueKind(inner) : 'other';
  }
  if (node.type === 'true' || node.type === 'false' || node.type === 'not_operator' || node.type === 'comparison_operator' || node.type === 'boolean_operator') return 'boolean';
  if (NUMBER_TYPES.has(node.type)) return 'number';
  if (STRING_TYPES.has(node.type)) return 'string';
  if (node.type === 'unary_expression' || node.type === 'unary_operator') {
    const op = node.child(0)?.type;
    if (op === '!') return 'boolean';
    if (op === '-' || op === '+') return 'number';
  }
  if (node.type === 'binary_expression' || node.type === 'binary_operator') {
    const op = node.childForFieldName('operator')?.type ?? node.children.find((c) => c && !c.isNamed)?.type ?? '';
    if (op in COMPARISON || op in LOGICAL) return op === '||' || op === '&&' ? 'other' : 'boolean';
    if (op === '+') {
      const sides = node.namedChildren.filter((c) => c !== null).map(valueKind);
      if (sides.includes('string')) return 'string';
      return sides.includes('number') ? 'number' : 'other';
    }
    if (op in ARITHMETIC) return 'number';
  }
  return 'other';
}
