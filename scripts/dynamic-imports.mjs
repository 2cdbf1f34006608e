// Finds `import()` expressions in built JavaScript by parsing it (a text search would also find
// the word in strings and comments, which the SDKs' error messages have). scripts/bundle.mjs runs
// it on every file the one-file CLI's loader compiles through a vm.Script: there, on Node 20, an
// `import()` has no loader callback once the script comes from cached data, and throws
// ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING when it runs (docs/dependencies.md).
import { createRequire } from 'node:module';

// espree is ESLint's parser (a dev dependency of the project through eslint), used as eslint has it.
const espree = createRequire(createRequire(import.meta.url).resolve('eslint/package.json'))('espree');

/** The source offsets of the `import()` expressions in `code`, a CommonJS script. */
export function dynamicImportsIn(code) {
  const ast = espree.parse(code, { ecmaVersion: 'latest', sourceType: 'script', range: true });
  const found = [];
  const stack = [ast];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const child of node) if (child && typeof child === 'object') stack.push(child);
      continue;
    }
    if (node.type === 'ImportExpression') found.push(node.range[0]);
    for (const key in node) {
      const value = node[key];
      if (key !== 'range' && value && typeof value === 'object') stack.push(value);
    }
  }
  return found.sort((a, b) => a - b);
}
