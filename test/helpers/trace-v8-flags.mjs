// Loaded with `node --import ./test/helpers/trace-v8-flags.mjs`: records every
// v8.setFlagsFromString call of the process and appends them (one JSON line) at exit to the file
// named by TRACE_V8_FLAGS_FILE, so a test can check which V8 flags a command set for itself.
import { appendFileSync } from 'node:fs';
import v8 from 'node:v8';

const set = v8.setFlagsFromString;
const calls = [];
v8.setFlagsFromString = (flags) => {
  calls.push(flags);
  return set(flags);
};
process.on('exit', () => {
  if (process.env.TRACE_V8_FLAGS_FILE) appendFileSync(process.env.TRACE_V8_FLAGS_FILE, `${JSON.stringify(calls)}\n`);
});
