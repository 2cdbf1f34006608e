// Tags queries for JavaScript, TypeScript and TSX. Captures: `@name` is the identifier,
// `@definition.<kind>` / `@reference.<kind>` the node it names. The stock TypeScript query
// only has signatures and `new X`, so definitions, calls, type references and imports are ours.
//
// Patterns nested under expression nodes (calls, `new`, assignments, `extends`, JSX tags,
// class expressions) and class members are costly for tree-sitter to build: its query
// analysis walks every parse state such a node can occur in. Measured on Node 20 with
// baseline-compiled wasm (as the calling thread runs it), nested as the stock queries would
// have them and flat as below: TypeScript 44 -> 10 ms, TSX 59 -> 10 ms, JavaScript 40 -> 3 ms;
// extracting 600 playwright files took 2-4% longer (the names are found in JS). So those
// patterns capture the node alone, and `ecmaNames` finds its names as the nested patterns
// did: the tags of all 1,563 playwright TypeScript/JavaScript files came out identical.
import type { Node } from 'web-tree-sitter';
import { fieldOfType } from './nodes.js';

const common = String.raw`
(function_declaration name: (identifier) @name) @definition.function
(generator_function_declaration name: (identifier) @name) @definition.function
(method_definition) @definition.method
(variable_declarator
  name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @definition.function
(program (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant))
(program (export_statement declaration: (lexical_declaration (variable_declarator name: (identifier) @name) @definition.constant)))
(program (variable_declaration (variable_declarator name: (identifier) @name) @definition.variable))
(assignment_expression) @definition.function
(pair key: (property_identifier) @name value: [(arrow_function) (function_expression)]) @definition.function

(call_expression) @reference.call
(new_expression) @reference.class
(import_specifier name: (identifier) @name) @reference.import
(import_clause (identifier) @name) @reference.import
(export_specifier name: (identifier) @name) @reference.export
(decorator (identifier) @name) @reference.call
`;

const jsx = String.raw`
(jsx_opening_element) @reference.call
(jsx_self_closing_element) @reference.call
`;

export const javascriptQuery = String.raw`
${common}
${jsx}
(class_declaration name: (identifier) @name) @definition.class
(class) @definition.class
(field_definition property: [(property_identifier) (private_property_identifier)] @name) @definition.field
(class_heritage) @reference.class
`;

const typescriptOnly = String.raw`
(class_declaration name: (type_identifier) @name) @definition.class
(abstract_class_declaration name: (type_identifier) @name) @definition.class
(class) @definition.class
(function_signature name: (identifier) @name) @definition.function
(method_signature) @definition.method
(abstract_method_signature name: [(property_identifier) (private_property_identifier)] @name) @definition.method
(public_field_definition) @definition.field
(interface_declaration name: (type_identifier) @name) @definition.interface
(type_alias_declaration name: (type_identifier) @name) @definition.type
(enum_declaration name: (identifier) @name) @definition.enum
(internal_module name: (identifier) @name) @definition.module
(module name: (identifier) @name) @definition.module

(type_identifier) @name @reference.type
(extends_clause) @reference.class
(nested_type_identifier name: (type_identifier) @name) @reference.type
`;

export const typescriptQuery = `${common}\n${typescriptOnly}`;

export const tsxQuery = `${common}\n${typescriptOnly}\n${jsx}`;

const propertyNames = ['property_identifier', 'private_property_identifier'];

/** `x` or the property of `a.b.x`: what a call, `new` or `extends` names. */
function calleeName(node: Node | null, privateToo: boolean): Node | undefined {
  if (node?.type === 'identifier') return node;
  if (node?.type !== 'member_expression') return undefined;
  return privateToo ? fieldOfType(node, 'property', ...propertyNames) : fieldOfType(node, 'property', 'property_identifier');
}

/** A JSX tag names a component when it is capitalised or a member (`<Menu.Item>`), not `<div>`. */
function jsxName(node: Node | null): Node | undefined {
  if (node?.type === 'identifier') return /^[A-Z]/.test(node.text) ? node : undefined;
  return node?.type === 'member_expression' ? fieldOfType(node, 'property', 'property_identifier') : undefined;
}

/**
 * The names of a node the query captured without `@name`: for a call, `new`, `extends`,
 * class heritage or JSX tag, what it refers to; for an assignment of a function to a
 * member (`a.b = () => {}`), the member's name; for a method, field or class expression,
 * its name. Empty when the node names nothing (a computed or string name, an anonymous class).
 */
export function ecmaNames(node: Node): Node[] {
  let name: Node | undefined;
  switch (node.type) {
    case 'call_expression':
      name = calleeName(node.childForFieldName('function'), true);
      break;
    case 'new_expression':
      name = calleeName(node.childForFieldName('constructor'), false);
      break;
    case 'jsx_opening_element':
    case 'jsx_self_closing_element':
      name = jsxName(node.childForFieldName('name'));
      break;
    case 'extends_clause':
      return node.childrenForFieldName('value').flatMap((value) => calleeName(value, false) ?? []);
    case 'class_heritage':
      // JavaScript's `extends <expression>`; TypeScript's heritage is an extends_clause.
      return node.namedChildren.flatMap((child) => calleeName(child, false) ?? []);
    case 'method_definition':
    case 'method_signature':
    case 'public_field_definition':
      name = fieldOfType(node, 'name', ...propertyNames);
      break;
    case 'class':
      // A class expression: named by an identifier in JavaScript, a type_identifier in TypeScript.
      name = fieldOfType(node, 'name', 'identifier', 'type_identifier');
      break;
    case 'assignment_expression': {
      const left = fieldOfType(node, 'left', 'member_expression');
      if (left?.childForFieldName('object') && fieldOfType(node, 'right', 'arrow_function', 'function_expression')) name = fieldOfType(left, 'property', 'property_identifier');
      break;
    }
  }
  return name ? [name] : [];
}
