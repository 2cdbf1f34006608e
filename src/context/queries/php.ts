// PHP: the stock query, plus enums, constants and methods as methods; plain function
// calls (`helper()`) are `(name)` in this grammar and were missing. References are captured
// flat and named by `phpNames` (see ecma.ts for why: nested, the query took 35 ms to build;
// flat, 7 ms).
import type { Node } from 'web-tree-sitter';
import { childrenOfType, fieldOfType, one } from './nodes.js';

export const phpQuery = String.raw`
(namespace_definition name: (namespace_name) @name) @definition.module
(interface_declaration name: (name) @name) @definition.interface
(trait_declaration name: (name) @name) @definition.interface
(class_declaration name: (name) @name) @definition.class
(enum_declaration name: (name) @name) @definition.enum
(function_definition name: (name) @name) @definition.function
(method_declaration name: (name) @name) @definition.method
(property_declaration (property_element (variable_name (name) @name))) @definition.field
(const_declaration (const_element (name) @name)) @definition.constant

(class_interface_clause) @reference.implementation
(base_clause) @reference.class
(object_creation_expression) @reference.class
(function_call_expression) @reference.call
(scoped_call_expression) @reference.call
(scoped_call_expression) @reference.class
(member_call_expression) @reference.call
(nullsafe_member_call_expression) @reference.call
(named_type) @reference.type
(namespace_use_clause) @reference.import
`;

/** `Name`, or the last part of `Vendor\\Package\\Name`. */
function className(node: Node | null): Node[] {
  if (node?.type === 'name') return [node];
  return node?.type === 'qualified_name' ? childrenOfType(node, 'name') : [];
}

/**
 * The names of a PHP node the query captured without `@name`: the classes and interfaces a
 * class extends, implements or creates, the function or method a call names (and, for
 * `Type::call()`, the class), type names, and `use` imports.
 */
export function phpNames(node: Node, tag: string): Node[] {
  switch (node.type) {
    case 'class_interface_clause':
    case 'base_clause':
    case 'object_creation_expression':
    case 'named_type':
      return node.namedChildren.flatMap((child) => className(child));
    case 'function_call_expression':
      return className(node.childForFieldName('function'));
    case 'scoped_call_expression':
      return tag === 'reference.class' ? className(node.childForFieldName('scope')) : one(fieldOfType(node, 'name', 'name'));
    case 'member_call_expression':
    case 'nullsafe_member_call_expression':
      return one(fieldOfType(node, 'name', 'name'));
    case 'namespace_use_clause':
      return childrenOfType(node, 'qualified_name').flatMap((child) => childrenOfType(child, 'name'));
    default:
      return [];
  }
}
