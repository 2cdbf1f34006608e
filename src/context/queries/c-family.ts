// C and C++: the stock queries tag a function by its declarator; ours tags the whole
// definition (for signatures and scopes) and adds macros, prototypes and references.
//
// Definitions found through declarator chains, class bodies and calls are captured flat and
// named by `cFamilyNames`, for the reason given in ecma.ts: nested, they made the C++ query
// take 181 ms to build (C 20 ms); flat, 10 and 3 ms (Node 20, baseline-compiled wasm).
import type { Node } from 'web-tree-sitter';
import { childrenOfType, fieldOfType, one } from './nodes.js';

const cCommon = String.raw`
(function_definition) @definition.function
(declaration) @definition.function
(struct_specifier) @definition.struct
(union_specifier) @definition.struct
(enum_specifier) @definition.enum
(type_definition declarator: (type_identifier) @name) @definition.type
(preproc_def name: (identifier) @name) @definition.macro
(preproc_function_def name: (identifier) @name) @definition.macro

(call_expression) @reference.call
(type_identifier) @name @reference.type
`;

export const cQuery = cCommon;

export const cppQuery = String.raw`
${cCommon}
(class_specifier) @definition.class
(namespace_definition name: (namespace_identifier) @name) @definition.module
(function_definition) @definition.method
(field_declaration) @definition.method
(declaration) @definition.method
(alias_declaration name: (type_identifier) @name) @definition.type

(new_expression) @reference.class
(namespace_identifier) @name @reference.module
`;

/** `Type::name` names `name` when it is a plain identifier. */
function qualifiedName(node: Node | undefined): Node | undefined {
  return node?.type === 'qualified_identifier' ? fieldOfType(node, 'name', 'identifier') : undefined;
}

/** The function declarator of `f(...)`, `*f(...)` (pointer) or, for a method, `&f(...)` (reference). */
function functionDeclarator(declarator: Node | null, referenceToo: boolean): Node | undefined {
  if (!declarator) return undefined;
  if (declarator.type === 'function_declarator') return declarator;
  if (declarator.type === 'pointer_declarator') return fieldOfType(declarator, 'declarator', 'function_declarator');
  if (referenceToo && declarator.type === 'reference_declarator') return childrenOfType(declarator, 'function_declarator')[0];
  return undefined;
}

/** A function's name: `f` in `int f(void)` or `int *f(void)`. */
function functionName(declarator: Node | null): Node | undefined {
  return fieldOfType(functionDeclarator(declarator, false), 'declarator', 'identifier');
}

/** A method's name in a definition: `Widget::paint`, `*Widget::make`, `&Widget::get`, or `paint` in a class body. */
function methodName(declarator: Node | null): Node | undefined {
  if (declarator?.type === 'function_declarator') {
    const inner = declarator.childForFieldName('declarator');
    if (inner?.type === 'field_identifier') return inner;
    return qualifiedName(inner ?? undefined);
  }
  return qualifiedName(functionDeclarator(declarator, true)?.childForFieldName('declarator') ?? undefined);
}

/** A callee: `f(...)`, `s.f(...)` / `p->f(...)`, `ns::f(...)`, `f<T>(...)`, `ns::f<T>(...)`. */
function calleeName(callee: Node | null): Node | undefined {
  if (!callee) return undefined;
  switch (callee.type) {
    case 'identifier':
      return callee;
    case 'field_expression':
      return fieldOfType(callee, 'field', 'field_identifier');
    case 'template_function':
      return fieldOfType(callee, 'name', 'identifier');
    case 'qualified_identifier': {
      const name = callee.childForFieldName('name');
      if (name?.type === 'identifier') return name;
      return name?.type === 'template_function' ? fieldOfType(name, 'name', 'identifier') : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The names of a C or C++ node the query captured without `@name`, for the tag it was
 * captured as: a function definition or prototype names a function or, in C++, a method
 * (`Type::name`, or a member declared in a class body); a struct, union, enum or class with
 * a body names itself; a call or `new` names its callee or type.
 */
export function cFamilyNames(node: Node, tag: string): Node[] {
  switch (node.type) {
    case 'function_definition':
      return one(tag === 'definition.method' ? methodName(node.childForFieldName('declarator')) : functionName(node.childForFieldName('declarator')));
    case 'declaration': {
      const declarators = node.childrenForFieldName('declarator');
      const parent = node.parent?.type;
      if (tag === 'definition.function' && parent === 'translation_unit') return declarators.flatMap((d) => one(functionName(d)));
      if (tag === 'definition.method' && parent === 'field_declaration_list') {
        return declarators.flatMap((d) => one(d.type === 'function_declarator' ? fieldOfType(d, 'declarator', 'identifier', 'field_identifier') : undefined));
      }
      return [];
    }
    case 'field_declaration':
      return node.childrenForFieldName('declarator').flatMap((d) => one(d.type === 'function_declarator' ? fieldOfType(d, 'declarator', 'field_identifier') : undefined));
    case 'struct_specifier':
    case 'union_specifier':
    case 'class_specifier':
      return one(fieldOfType(node, 'body', 'field_declaration_list') && fieldOfType(node, 'name', 'type_identifier'));
    case 'enum_specifier':
      return one(fieldOfType(node, 'body', 'enumerator_list') && fieldOfType(node, 'name', 'type_identifier'));
    case 'call_expression':
      return one(calleeName(node.childForFieldName('function')));
    case 'new_expression':
      return one(fieldOfType(node, 'type', 'type_identifier'));
    default:
      return [];
  }
}
