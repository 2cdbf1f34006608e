import { appendFileSync } from 'node:fs';

/**
 * Where the time of a command goes, for the benchmarks (docs/benchmarks.md): with `ASSIST_PHASES`
 * set to a file, each named phase sums its milliseconds and count, marks note when a point was
 * reached (ms since the process started), and at exit one JSON line is appended to that file.
 * Unset (always, outside the benchmarks), every function here is a test of one boolean.
 */
const target = process.env['ASSIST_PHASES'];

/** Whether phases are recorded in this process. */
export const phasesEnabled = target !== undefined && target !== '';

interface PhaseRecord {
  totals: Map<string, { ms: number; count: number }>;
  marks: Array<{ name: string; at: number; cpu: number; faults: number }>;
}
// One record per process, kept on `globalThis`: a map whose command line the context one-file
// hands on to main.cjs has this module twice (src/cli/one-file-context.ts), and both add to it.
const RECORD = Symbol.for('assist.phases');
const shared = globalThis as { [RECORD]?: PhaseRecord };
const firstCopy = shared[RECORD] === undefined;
const { totals, marks }: PhaseRecord = (shared[RECORD] ??= { totals: new Map(), marks: [] });

/** Adds `ms` to the phase `name`. */
export function addPhase(name: string, ms: number): void {
  if (!phasesEnabled) return;
  const t = totals.get(name);
  if (t) {
    t.ms += ms;
    t.count++;
  } else totals.set(name, { ms, count: 1 });
}

/** Runs `work` and adds its time to the phase `name` (whether it resolves or throws). */
export async function timePhase<T>(name: string, work: () => Promise<T>): Promise<T> {
  if (!phasesEnabled) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    addPhase(name, performance.now() - started);
  }
}

/**
 * Notes that the process reached `name` now (or at `at`, a `performance.now()` taken earlier),
 * with the process's CPU time (user + sys, ms) and its minor page faults so far: on a loaded machine
 * the CPU between two marks says more than their distance in time, and on a virtual machine where a
 * page's first touch is dear, the faults between them say where memory was first written.
 */
export function markPhase(name: string, at?: number): void {
  if (!phasesEnabled) return;
  const cpu = process.cpuUsage();
  marks.push({ name, at: at ?? performance.now(), cpu: (cpu.user + cpu.system) / 1000, faults: process.resourceUsage().minorPageFault });
}

if (phasesEnabled && firstCopy) {
  process.once('exit', () => {
    const phases: Record<string, { ms: number; count: number }> = {};
    for (const [name, t] of totals) phases[name] = { ms: Math.round(t.ms * 100) / 100, count: t.count };
    const cpu = process.cpuUsage();
    const usage = process.resourceUsage();
    const line = { pid: process.pid, exitAt: Math.round(performance.now() * 100) / 100, cpuMs: Math.round((cpu.user + cpu.system) / 10) / 100, maxRssMb: Math.round(usage.maxRSS / 1024), minorFaults: usage.minorPageFault, phases, marks: marks.map((m) => ({ name: m.name, at: Math.round(m.at * 100) / 100, cpu: Math.round(m.cpu * 100) / 100, faults: m.faults })) };
    try {
      appendFileSync(target as string, `${JSON.stringify(line)}\n`);
    } catch {
      // a benchmark's file that cannot be written loses its figures, never the command's result
    }
  });
}
