// Elixir: the stock query; the keyword calls it captures as @ignore carry no @name, and
// the extractor drops references to Kernel forms (def, defmodule, alias, ...).
export const elixirQuery = String.raw`
(call
  target: (identifier) @ignore
  (arguments (alias) @name)
  (#any-of? @ignore "defmodule" "defprotocol")) @definition.module

(call
  target: (identifier) @ignore
  (arguments
    [
      (identifier) @name
      (call target: (identifier) @name)
      (binary_operator
        left: (call target: (identifier) @name)
        operator: "when")
    ])
  (#any-of? @ignore "def" "defp" "defdelegate" "defguard" "defguardp" "defmacro" "defmacrop" "defn" "defnp")) @definition.function

(call target: [(identifier) @name (dot right: (identifier) @name)]) @reference.call
(binary_operator operator: "|>" right: (identifier) @name) @reference.call
(alias) @name @reference.module
`;

/** Elixir calls that are language forms, not references to user code. */
export const elixirKeywords = new Set([
  'def', 'defp', 'defdelegate', 'defguard', 'defguardp', 'defmacro', 'defmacrop', 'defn', 'defnp', 'defmodule',
  'defprotocol', 'defimpl', 'defstruct', 'defexception', 'defoverridable', 'alias', 'case', 'cond', 'else', 'for',
  'if', 'import', 'quote', 'raise', 'receive', 'require', 'reraise', 'super', 'throw', 'try', 'unless', 'unquote',
  'unquote_splicing', 'use', 'with', 'fn', 'do', 'end',
]);
