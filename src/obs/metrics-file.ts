import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AssistError } from '../errors.js';
import { parseExposition, renderFamilies, type FamilySnapshot, type HistogramSeries, type ParsedFamilies, type ScalarSeries } from './exposition.js';
import type { MetricsRegistry } from './metrics.js';
import { acquireLock, readLockHolder } from '../util/lock.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/** Options of {@link writeMetricsFile}. */
export interface WriteMetricsOptions {
  /** How long to wait for another process's write (default 2000 ms). */
  lockWaitMs?: number;
  /** A lock older than this is abandoned, whoever holds it (default 30 s: a write takes milliseconds). */
  staleLockMs?: number;
  /** Applied to every label value written, e.g. a scrubber's `scrub`, so no secret reaches the file. */
  scrubLabel?: (value: string) => string;
}

/** What {@link writeMetricsFile} wrote, and what it could not carry over. */
export interface WriteMetricsResult {
  path: string;
  /** Why (part of) the previous file was not carried over, if it was not. */
  warnings: string[];
}

const labelKey = (names: readonly string[], labels: Readonly<Record<string, string>>): string => JSON.stringify(names.map((n) => labels[n] ?? ''));

function sameLabelNames(labels: Record<string, string>, names: readonly string[], extra?: string): boolean {
  const keys = Object.keys(labels).filter((k) => k !== extra);
  return keys.length === names.length && names.every((n) => n in labels);
}

/**
 * Adds this process's values to the totals of the previous file: counters and histograms are
 * summed series by series, a gauge takes this process's value when it set one. A family whose
 * previous samples do not fit its definition (other type, labels or buckets) starts again from
 * this process's values, which Prometheus reads as a counter reset.
 */
export function mergeFamilies(previous: ParsedFamilies, current: readonly FamilySnapshot[], warnings: string[] = []): FamilySnapshot[] {
  return current.map((family): FamilySnapshot => {
    // Without a previous family, still go through the merge: scrubbed labels may have made two series one.
    const old = previous.get(family.name) ?? { kind: family.kind, samples: [] };
    if (old.kind !== family.kind) {
      warnings.push(`${family.name}: the previous file has it as ${old.kind}; starting again`);
      return family;
    }
    if (family.kind === 'histogram') {
      const byKey = new Map<string, HistogramSeries>();
      const bounds = family.bounds;
      for (const sample of old.samples) {
        const isBucket = sample.name === `${family.name}_bucket`;
        if (!sameLabelNames(sample.labels, family.labelNames, isBucket ? 'le' : undefined)) {
          warnings.push(`${family.name}: the previous file has other labels; starting again`);
          return family;
        }
        const key = labelKey(family.labelNames, sample.labels);
        let series = byKey.get(key);
        if (!series) {
          const labels: Record<string, string> = {};
          for (const n of family.labelNames) labels[n] = sample.labels[n] ?? '';
          series = { labels, cumulative: new Array<number>(bounds.length).fill(0), sum: 0, count: 0 };
          byKey.set(key, series);
        }
        if (isBucket) {
          const le = sample.labels.le ?? '';
          if (le === '+Inf') continue;
          const index = bounds.findIndex((b) => b === Number(le));
          if (index === -1) {
            warnings.push(`${family.name}: the previous file has other buckets; starting again`);
            return family;
          }
          series.cumulative[index] = sample.value;
        } else if (sample.name === `${family.name}_sum`) series.sum = sample.value;
        else if (sample.name === `${family.name}_count`) series.count = sample.value;
      }
      for (const series of family.series) {
        const key = labelKey(family.labelNames, series.labels);
        const prev = byKey.get(key);
        if (!prev) byKey.set(key, series);
        else
          byKey.set(key, {
            labels: series.labels,
            cumulative: series.cumulative.map((c, i) => c + (prev.cumulative[i] ?? 0)),
            sum: series.sum + prev.sum,
            count: series.count + prev.count,
          });
      }
      return { ...family, series: [...byKey.values()] };
    }
    const byKey = new Map<string, ScalarSeries>();
    for (const sample of old.samples) {
      if (sample.name !== family.name || !sameLabelNames(sample.labels, family.labelNames)) {
        warnings.push(`${family.name}: the previous file has other labels; starting again`);
        return family;
      }
      const labels: Record<string, string> = {};
      for (const n of family.labelNames) labels[n] = sample.labels[n] ?? '';
      byKey.set(labelKey(family.labelNames, labels), { labels, value: sample.value });
    }
    for (const series of family.series) {
      const key = labelKey(family.labelNames, series.labels);
      const prev = byKey.get(key);
      const value = family.kind === 'counter' && prev ? prev.value + series.value : series.value;
      byKey.set(key, { labels: series.labels, value });
    }
    return { ...family, series: [...byKey.values()] };
  });
}

function withLabels(family: FamilySnapshot, scrub: (value: string) => string): FamilySnapshot {
  const map = (labels: Readonly<Record<string, string>>): Record<string, string> => Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, scrub(v)]));
  if (family.kind === 'histogram') return { ...family, series: family.series.map((s) => ({ ...s, labels: map(s.labels) })) };
  return { ...family, series: family.series.map((s) => ({ ...s, labels: map(s.labels) })) };
}

/**
 * Adds the registry's values to the totals in `path` (Prometheus text, node_exporter textfile
 * collector convention) under `<path>.lock`, writing a temp file in the same directory and
 * renaming it over `path`, so a reader sees the old file or the new one, never a mix.
 * The registry is drained only when the write succeeded. Throws `obs.metrics-write-failed`.
 */
export async function writeMetricsFile(registry: MetricsRegistry, path: string, options: WriteMetricsOptions = {}): Promise<WriteMetricsResult> {
  const dir = dirname(path);
  const warnings: string[] = [];
  const drained = registry.drain();
  let release: (() => void) | undefined;
  try {
    await mkdir(dir, { recursive: true });
    const lockPath = `${path}.lock`;
    const lock = await acquireLock(lockPath, { command: 'metrics', waitMs: options.lockWaitMs ?? 2000, staleMs: options.staleLockMs ?? 30_000 });
    if (lock === null) {
      const holder = readLockHolder(lockPath);
      throw new AssistError('obs.metrics-locked', `the metrics file is being written by another process (${holder ? `pid ${holder.pid} on ${holder.host}` : 'unknown'})`, {
        hint: `if no assist is running, remove ${lockPath}`,
      });
    }
    release = () => void lock.release();
    let previous: ParsedFamilies = new Map();
    try {
      previous = parseExposition(await readFile(path, 'utf8'));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') warnings.push(`the previous metrics file could not be read (${(error as Error).message}); starting again`);
    }
    const scrub = options.scrubLabel;
    const current = scrub === undefined ? drained : drained.map((family) => withLabels(family, scrub));
    const text = renderFamilies(mergeFamilies(previous, current, warnings));
    await writeFileAtomic(path, text);
    return { path, warnings };
  } catch (error) {
    registry.restore(drained);
    if (error instanceof AssistError) throw error;
    throw new AssistError('obs.metrics-write-failed', `cannot write the metrics file ${path}: ${(error as Error).message}`, {
      hint: 'choose another --metrics-file (or metrics.file), or fix the permissions of its directory',
      cause: error,
    });
  } finally {
    release?.();
  }
}
