// Ruby: the stock definitions (without doc-comment directives, which web-tree-sitter does
// not run) and references as method calls and constants. Classes, modules, constant
// assignments and calls are captured flat and named by `rubyNames` (see ecma.ts for why:
// nested, the query took 44 ms to build; flat, 10 ms).
import type { Node } from 'web-tree-sitter';
import { fieldOfType, one } from './nodes.js';

export const rubyQuery = String.raw`
(method name: (_) @name) @definition.method
(singleton_method name: (_) @name) @definition.method
(alias name: (_) @name) @definition.method
(class) @definition.class
(singleton_class) @definition.class
(module) @definition.module
(assignment) @definition.constant

(call) @reference.call
(constant) @name @reference.class
`;

/** `Name`, or the last part of `A::B::Name`. */
function constantName(node: Node | null): Node[] {
  if (node?.type === 'constant') return [node];
  if (node?.type !== 'scope_resolution') return [];
  const name = node.childForFieldName('name');
  return name?.isNamed ? [name] : [];
}

/** The names of a Ruby node the query captured without `@name`. */
export function rubyNames(node: Node): Node[] {
  switch (node.type) {
    case 'class':
    case 'module':
      return constantName(node.childForFieldName('name'));
    case 'singleton_class':
      return constantName(node.childForFieldName('value'));
    case 'assignment':
      return one(fieldOfType(node, 'left', 'constant'));
    case 'call':
      return one(fieldOfType(node, 'method', 'identifier'));
    default:
      return [];
  }
}
