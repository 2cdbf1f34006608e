// Apart from the reader so that `/tokens` and `assist doctor` can describe instructions without
// loading it (it brings the sandbox's path policy).

/** What a report needs of the instruction files (see `Instructions` in instructions.ts). */
export interface InstructionSummary {
  files: ReadonlyArray<{ path: string; bytes: number; imports: readonly string[] }>;
  leftOut: ReadonlyArray<{ path: string; bytes: number }>;
  notes: readonly string[];
}

/** `1.2 KiB`, `300 B`. */
export function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
}

/** One line per file read (with its size and imports), per file left out, and per refused import. */
export function describeInstructions(found: InstructionSummary, limitBytes = 32 * 1024): string[] {
  if (found.files.length === 0 && found.leftOut.length === 0 && found.notes.length === 0) return ['no instruction files (AGENTS.md, CLAUDE.md, GEMINI.md or CONVENTIONS.md)'];
  const lines = found.files.map((f) => `${f.path} ${formatBytes(f.bytes)}${f.imports.length > 0 ? ` (imports ${f.imports.join(', ')})` : ''}`);
  for (const f of found.leftOut) lines.push(`left out: ${f.path} ${formatBytes(f.bytes)} (over the ${formatBytes(limitBytes)} of instructions; the nearest files were kept)`);
  for (const note of found.notes) lines.push(`note: ${note}`);
  return lines;
}
