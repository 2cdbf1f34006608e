// Every git process a command spawns, from git's own trace (GIT_TRACE2_EVENT): one JSON line per
// event, a `start` event with the argv and an `exit` event with the elapsed time per process.
import { readFileSync, rmSync } from 'node:fs';

/** The environment variables that make every git process (and the git processes git starts) write its events to `file`. */
export function gitTraceEnv(file) {
  return { GIT_TRACE2_EVENT: file };
}

/** The git processes of a trace: their count, and per command (`git grep`, `git status`...) the count and the summed elapsed ms. */
export function readGitTrace(file) {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { count: 0, ms: 0, commands: [] };
  }
  rmSync(file, { force: true });
  const bySid = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (e.event === 'start') bySid.set(e.sid, { argv: e.argv, ms: 0, at: e.time });
    else if (e.event === 'exit' && bySid.has(e.sid)) bySid.get(e.sid).ms = e.t_abs * 1000;
  }
  if (process.env.BENCH_GIT_TRACE_ALL) for (const [sid, p] of bySid) console.log(`    ${p.at} ${sid.split('/').length > 1 ? '(nested) ' : ''}${p.argv.join(' ').slice(0, 160)} ${p.ms.toFixed(1)} ms`);
  const commands = new Map();
  let ms = 0;
  for (const { argv, ms: t } of bySid.values()) {
    // The subcommand and its first option say what it was for: `git ls-files -z`, `git grep -E`.
    const words = argv.slice(1).filter((w) => !w.startsWith('-c') && !w.includes('='));
    const key = `git ${words.slice(0, 2).join(' ')}`.slice(0, 48);
    const c = commands.get(key) ?? { count: 0, ms: 0 };
    c.count++;
    c.ms += t;
    commands.set(key, c);
    ms += t;
  }
  return { count: bySid.size, ms, commands: [...commands.entries()].sort((a, b) => b[1].ms - a[1].ms).map(([command, c]) => ({ command, ...c })) };
}

/** Prints a trace summary, one line per command. */
export function printGitTrace(label, trace, indent = '  ') {
  console.log(`${indent}${label}: ${trace.count} git processes, ${trace.ms.toFixed(0)} ms summed`);
  for (const c of trace.commands) console.log(`${indent}  ${String(c.count).padStart(3)} × ${c.command.padEnd(48)} ${c.ms.toFixed(1).padStart(7)} ms`);
}
