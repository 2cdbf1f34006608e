// Small node lookups the `namesOf` resolvers share: what a nested pattern's field and child
// constraints said, in JS.
import type { Node } from 'web-tree-sitter';

/** The child of `node` in `field` when it is of one of `types` (`field: (type)` in a query). */
export function fieldOfType(node: Node | null | undefined, field: string, ...types: string[]): Node | undefined {
  const child = node?.childForFieldName(field);
  return child && types.includes(child.type) ? child : undefined;
}

/** The named children of `node` of one of `types` (`(parent (type))` in a query). */
export function childrenOfType(node: Node, ...types: string[]): Node[] {
  return node.namedChildren.filter((child) => types.includes(child.type));
}

/** `[node]`, or nothing when there is no node. */
export function one(node: Node | undefined): Node[] {
  return node ? [node] : [];
}
