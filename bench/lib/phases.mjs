// The phases a command recorded with ASSIST_PHASES=FILE (src/obs/phases.ts): one JSON line per
// process, `phases` (name -> summed ms and count) and `marks` (name -> ms since the process started).
import { readFileSync, rmSync } from 'node:fs';

/** The lines of a phases file, the file removed. */
export function takePhases(file) {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  rmSync(file, { force: true });
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Per phase name, the median over runs of its summed ms (0 in a run that lacks it), and the median count. */
export function medianPhases(runs) {
  const names = [];
  for (const r of runs) for (const name of Object.keys(r.phases)) if (!names.includes(name)) names.push(name);
  const out = {};
  for (const name of names) {
    out[name] = { ms: median(runs.map((r) => r.phases[name]?.ms ?? 0)), count: median(runs.map((r) => r.phases[name]?.count ?? 0)) };
  }
  return out;
}

/** The median CPU time (user + system) of the assist process itself, its git children not counted. */
export function medianCpu(runs) {
  return median(runs.map((r) => r.cpuMs ?? 0));
}

/** The median time between consecutive marks (from the process start, to its exit). */
export function medianMarks(runs) {
  const names = [];
  for (const r of runs) for (const m of r.marks) if (!names.includes(m.name)) names.push(m.name);
  const steps = [];
  let prev = null;
  for (const name of [...names, 'exit']) {
    const at = (r) => (name === 'exit' ? r.exitAt : r.marks.find((m) => m.name === name)?.at);
    const from = (r) => (prev === null ? 0 : prev === 'exit' ? r.exitAt : r.marks.find((m) => m.name === prev)?.at);
    steps.push({ from: prev ?? 'process start', to: name, ms: median(runs.map((r) => (at(r) ?? 0) - (from(r) ?? 0))) });
    prev = name;
  }
  return steps;
}
