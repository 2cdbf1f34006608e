// PHP: the stock query, plus enums, constants and methods as methods; plain function
// calls (`helper()`) are `(name)` in this grammar and were missing.
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

(class_interface_clause [(name) @name (qualified_name (name) @name)]) @reference.implementation
(base_clause [(name) @name (qualified_name (name) @name)]) @reference.class
(object_creation_expression [(name) @name (qualified_name (name) @name)]) @reference.class
(function_call_expression function: [(name) @name (qualified_name (name) @name)]) @reference.call
(scoped_call_expression name: (name) @name) @reference.call
(scoped_call_expression scope: [(name) @name (qualified_name (name) @name)]) @reference.class
(member_call_expression name: (name) @name) @reference.call
(nullsafe_member_call_expression name: (name) @name) @reference.call
(named_type [(name) @name (qualified_name (name) @name)]) @reference.type
(namespace_use_clause (qualified_name (name) @name)) @reference.import
`;
