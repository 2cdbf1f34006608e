// Loaded with `node --import ./test/helpers/trace-imports.mjs`: appends every module URL the process
// resolves to the file named by TRACE_IMPORTS_FILE, so a test can check what a command loaded.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      const file = process.env.TRACE_IMPORTS_FILE;
      export async function resolve(specifier, context, next) {
        const result = await next(specifier, context);
        if (file) appendFileSync(file, result.url + '\\n');
        return result;
      }
    `),
);
