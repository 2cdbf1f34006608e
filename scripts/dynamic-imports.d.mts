/** The source offsets of the `import()` expressions in `code`, a CommonJS script. */
export function dynamicImportsIn(code: string): number[];
