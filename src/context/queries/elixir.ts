// Elixir: the stock query's tags; the extractor drops references to Kernel forms (def,
// defmodule, alias, ...). Calls and pipes are captured flat and named by `elixirNames` (see
// ecma.ts for why: nested, with the stock query's predicates, it took 60 ms to build).
import type { Node } from 'web-tree-sitter';
import { childrenOfType, fieldOfType, one } from './nodes.js';

export const elixirQuery = String.raw`
(call) @definition.module
(call) @definition.function
(call) @reference.call
(binary_operator) @reference.call
(alias) @name @reference.module
`;

const moduleForms = new Set(['defmodule', 'defprotocol']);
const functionForms = new Set(['def', 'defp', 'defdelegate', 'defguard', 'defguardp', 'defmacro', 'defmacrop', 'defn', 'defnp']);

/** What `def name(args)`, `def name`, or `def name(args) when guard` defines. */
function definedName(arg: Node): Node | undefined {
  if (arg.type === 'identifier') return arg;
  if (arg.type === 'call') return fieldOfType(arg, 'target', 'identifier');
  if (arg.type === 'binary_operator' && fieldOfType(arg, 'operator', 'when')) return fieldOfType(fieldOfType(arg, 'left', 'call'), 'target', 'identifier');
  return undefined;
}

/**
 * The names of an Elixir node the query captured without `@name`, for its tag: the module
 * of `defmodule`/`defprotocol`, the function of `def` and its kin, the function a call or a
 * pipe (`|> name`) calls.
 */
export function elixirNames(node: Node, tag: string): Node[] {
  if (node.type === 'binary_operator') {
    return fieldOfType(node, 'operator', '|>') ? one(fieldOfType(node, 'right', 'identifier')) : [];
  }
  if (node.type !== 'call') return [];
  const target = node.childForFieldName('target');
  if (tag === 'reference.call') {
    if (target?.type === 'identifier') return [target];
    return one(target?.type === 'dot' ? fieldOfType(target, 'right', 'identifier') : undefined);
  }
  if (target?.type !== 'identifier') return [];
  const args = childrenOfType(node, 'arguments').flatMap((a) => a.namedChildren);
  if (tag === 'definition.module') return moduleForms.has(target.text) ? args.filter((a) => a.type === 'alias') : [];
  if (tag === 'definition.function' && functionForms.has(target.text)) return args.flatMap((a) => definedName(a) ?? []);
  return [];
}

/** Elixir calls that are language forms, not references to user code. */
export const elixirKeywords = new Set([
  'def', 'defp', 'defdelegate', 'defguard', 'defguardp', 'defmacro', 'defmacrop', 'defn', 'defnp', 'defmodule',
  'defprotocol', 'defimpl', 'defstruct', 'defexception', 'defoverridable', 'alias', 'case', 'cond', 'else', 'for',
  'if', 'import', 'quote', 'raise', 'receive', 'require', 'reraise', 'super', 'throw', 'try', 'unless', 'unquote',
  'unquote_splicing', 'use', 'with', 'fn', 'do', 'end',
]);
