/** `bytes` with the minimum of its one imported memory (`env.memory`, now `expectMin` pages) set to `pages`, in the same bytes; throws unless the module is as expected. */
export function withMemoryMinimum(bytes: Uint8Array, pages: number, expectMin: number): Uint8Array;
