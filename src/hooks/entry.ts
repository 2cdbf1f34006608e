import { fileURLToPath } from 'node:url';

// Its own module because both the installer (which writes the path into the hooks) and the
// refresher (which starts it for assist's own commits) need it, and neither may import the other.

/** This install's CLI entry, `bin/assist.js` next to `dist/` (or `src/` when run from source). */
export function defaultEntryPath(): string {
  return fileURLToPath(new URL('../../bin/assist.js', import.meta.url));
}
