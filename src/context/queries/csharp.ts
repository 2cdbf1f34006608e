// C#: types, methods, constructors, properties and namespaces; references are
// invocations, `new`, base types and type names in declarations. Reference patterns are
// captured flat and named by `csharpNames` (see ecma.ts for why: nested, the query took 57 ms
// to build; flat, ~23 ms, most of it the grammar's size).
import type { Node } from 'web-tree-sitter';
import { childrenOfType, fieldOfType, one } from './nodes.js';

export const csharpQuery = String.raw`
(class_declaration name: (identifier) @name) @definition.class
(struct_declaration name: (identifier) @name) @definition.struct
(record_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.interface
(enum_declaration name: (identifier) @name) @definition.enum
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.constructor
(property_declaration name: (identifier) @name) @definition.property
(namespace_declaration name: [(identifier) (qualified_name)] @name) @definition.module
(delegate_declaration name: (identifier) @name) @definition.type

(invocation_expression) @reference.call
(object_creation_expression) @reference.class
(base_list) @reference.class
(variable_declaration) @reference.type
(generic_name) @reference.type
(parameter) @reference.type
(method_declaration) @reference.type
(property_declaration) @reference.type
(type_parameter_constraint) @reference.type
`;

/** `Name`, or the name of `Name<T>`. */
function typeName(node: Node | null): Node[] {
  if (node?.type === 'identifier') return [node];
  return node?.type === 'generic_name' ? childrenOfType(node, 'identifier') : [];
}

/**
 * The names of a C# node the query captured without `@name`, for a reference: the method an
 * invocation calls (`F()`, `x.F()`, `F<T>()`), the type `new` creates, the base types, the
 * declared type of a variable, parameter or property, a method's return type, the type
 * arguments of `Name<A, B>` and the type in a `where T : Type` constraint.
 */
export function csharpNames(node: Node, tag: string): Node[] {
  if (!tag.startsWith('reference.')) return [];
  switch (node.type) {
    case 'invocation_expression': {
      const callee = node.childForFieldName('function');
      return callee?.type === 'member_access_expression' ? one(fieldOfType(callee, 'name', 'identifier')) : typeName(callee);
    }
    case 'object_creation_expression':
    case 'variable_declaration':
      return typeName(node.childForFieldName('type'));
    case 'base_list':
      return node.namedChildren.flatMap((child) => typeName(child));
    case 'generic_name':
      return childrenOfType(node, 'type_argument_list').slice(0, 1).flatMap((args) => childrenOfType(args, 'identifier'));
    case 'parameter':
    case 'property_declaration':
      return one(fieldOfType(node, 'type', 'identifier'));
    case 'method_declaration':
      return one(fieldOfType(node, 'returns', 'identifier'));
    case 'type_parameter_constraint':
      // `(type type: (identifier))`: a type (any of its kinds, such as `Name?`) whose own
      // `type` field is a name.
      return node.namedChildren.flatMap((child) => one(fieldOfType(child, 'type', 'identifier')));
    default:
      return [];
  }
}
