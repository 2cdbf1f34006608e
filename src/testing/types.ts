// Kept apart from mutants.ts: the library's declarations reach these without reaching the grammars' types.

/** What a mutant changes (DESIGN §6 "Tests"). */
export type MutantKind = 'arithmetic' | 'comparison' | 'logical' | 'condition' | 'constant' | 'return' | 'statement';

/** One small change to the target definition that a good test should notice. */
export interface Mutant {
  /** `m1`, `m2`, ... in the order they are tried. */
  id: string;
  kind: MutantKind;
  /** 1-based line and column of the change in the original file. */
  line: number;
  column: number;
  /** The definition it belongs to. */
  definition: string;
  /** The text replaced, and what replaced it. */
  original: string;
  replacement: string;
  /** For people and the model: ``line 2: `-` → `+` ``. */
  description: string;
  /** The whole file with the change made. */
  content: string;
}
