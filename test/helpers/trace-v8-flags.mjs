// Loaded with `node --import ./test/helpers/trace-v8-flags.mjs`: records every
// v8.setFlagsFromString call of the process and appends them (one JSON line) at exit to the file
// named by TRACE_V8_FLAGS_FILE, so a test can check which V8 flags a command set for itself. With
// TRACE_LATE_BUILTINS_FILE, also the Node modules loaded after the first such call (one JSON line):
// those are compiled from source (V8 refuses the binary's compiled code once a flag changed).
import { appendFileSync } from 'node:fs';
import v8 from 'node:v8';

const set = v8.setFlagsFromString;
const calls = [];
let loadedBefore;
v8.setFlagsFromString = (flags) => {
  calls.push(flags);
  loadedBefore ??= process.moduleLoadList.length;
  return set(flags);
};
process.on('exit', () => {
  if (process.env.TRACE_V8_FLAGS_FILE) appendFileSync(process.env.TRACE_V8_FLAGS_FILE, `${JSON.stringify(calls)}\n`);
  if (process.env.TRACE_LATE_BUILTINS_FILE) {
    const late = loadedBefore === undefined ? [] : process.moduleLoadList.slice(loadedBefore).filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
    appendFileSync(process.env.TRACE_LATE_BUILTINS_FILE, `${JSON.stringify(late)}\n`);
  }
});
