// Ruby: the stock definitions (without doc-comment directives, which web-tree-sitter does
// not run) and references as method calls and constants.
export const rubyQuery = String.raw`
(method name: (_) @name) @definition.method
(singleton_method name: (_) @name) @definition.method
(alias name: (_) @name) @definition.method
(class name: [(constant) @name (scope_resolution name: (_) @name)]) @definition.class
(singleton_class value: [(constant) @name (scope_resolution name: (_) @name)]) @definition.class
(module name: [(constant) @name (scope_resolution name: (_) @name)]) @definition.module
(assignment left: (constant) @name) @definition.constant

(call method: (identifier) @name) @reference.call
(constant) @name @reference.class
`;
