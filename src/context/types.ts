/** What a definition is, as the tags queries name it (`@definition.<kind>`). */
export type DefKind =
  | 'function'
  | 'method'
  | 'class'
  | 'interface'
  | 'type'
  | 'enum'
  | 'struct'
  | 'module'
  | 'constant'
  | 'variable'
  | 'field'
  | 'property'
  | 'constructor'
  | 'macro'
  | 'impl'
  | 'other';

/** One tag of a file: a definition or a reference of an identifier. */
export interface Tag {
  /** Repository-relative path, `/`-separated. */
  file: string;
  name: string;
  kind: 'def' | 'ref';
  /** 1-based line of the identifier. */
  line: number;
  /** For definitions: function, class, method, interface, type, ...; for references: call, type, import, class, ... */
  defKind: string;
  /** For definitions: the declaration's first line(s), trimmed at the end, as written. */
  signature?: string;
}

/** A definition as stored in the tags cache: enough to rank and render it without the source. */
export interface CachedDef {
  name: string;
  kind: DefKind;
  /** 1-based first line of the definition node (where its signature starts). */
  line: number;
  /** 1-based last line of the definition node. */
  endLine: number;
  /** Index in the same `defs` array of the innermost enclosing definition, or -1. */
  scope: number;
  /** Declaration line(s), at most a few, each cut to a sane width. */
  signature: string;
}

/** The tags of one blob, as cached by blob id. */
export interface FileTags {
  defs: CachedDef[];
  /** Referenced identifier -> number of references in the file. */
  refs: Record<string, number>;
  /** Why the file was not parsed (binary, too large, minified, unreadable, parse error), if it was not. */
  skipped?: string;
  /** Size of the content in bytes. */
  bytes: number;
}
