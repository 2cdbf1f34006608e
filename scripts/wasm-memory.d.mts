/** The minimum (in 64 KB pages) of the imported memory `env.memory` and where its LEB128 lies; undefined without that import. */
export function memoryMinimum(bytes: Buffer): { pages: number; start: number; end: number } | undefined;
/** A copy of `bytes` whose imported memory's minimum is `pages` instead of `expected`, in place. */
export function withMemoryMinimum(bytes: Buffer, expected: number, pages: number): Buffer;
