// C#: types, methods, constructors, properties and namespaces; references are
// invocations, `new`, base types and type names in declarations.
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

(invocation_expression function: (identifier) @name) @reference.call
(invocation_expression function: (member_access_expression name: (identifier) @name)) @reference.call
(invocation_expression function: (generic_name (identifier) @name)) @reference.call
(object_creation_expression type: (identifier) @name) @reference.class
(object_creation_expression type: (generic_name (identifier) @name)) @reference.class
(base_list (identifier) @name) @reference.class
(base_list (generic_name (identifier) @name)) @reference.class
(variable_declaration type: (identifier) @name) @reference.type
(generic_name (type_argument_list (identifier) @name)) @reference.type
(variable_declaration type: (generic_name (identifier) @name)) @reference.type
(parameter type: (identifier) @name) @reference.type
(method_declaration returns: (identifier) @name) @reference.type
(property_declaration type: (identifier) @name) @reference.type
(type_parameter_constraint (type type: (identifier) @name)) @reference.type
`;
