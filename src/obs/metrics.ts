import { performance } from 'node:perf_hooks';
import { LABEL_NAME, METRIC_NAME, renderFamilies, type FamilySnapshot, type HistogramSeries, type ScalarSeries } from './exposition.js';

/** Label values by label name. */
export type Labels<L extends string> = Readonly<Record<L, string>>;
type WithLabels<L extends string, Rest extends unknown[]> = [L] extends [never] ? Rest : [labels: Labels<L>, ...Rest];

/** A monotonically increasing count (resets only when the metrics file is removed). */
export interface Counter<L extends string = never> {
  readonly name: string;
  /** Adds `by` (default 1, never negative). */
  inc(...args: WithLabels<L, [by?: number]>): void;
}

/** A value that goes up and down; the file keeps the last value any command set. */
export interface Gauge<L extends string = never> {
  readonly name: string;
  set(...args: WithLabels<L, [value: number]>): void;
}

/** Observations counted into fixed buckets, with their sum and count. */
export interface Histogram<L extends string = never> {
  readonly name: string;
  readonly bounds: readonly number[];
  observe(...args: WithLabels<L, [value: number]>): void;
  /** Starts a clock; the returned function observes the elapsed seconds and returns them. */
  startTimer(...args: WithLabels<L, []>): () => number;
}

/** Name, help text and label names of a metric family. */
export interface MetricOptions<L extends string> {
  name: string;
  help: string;
  labels?: readonly L[];
}

/** A histogram's options: its bucket upper bounds besides name, help and labels. */
export interface HistogramOptions<L extends string> extends MetricOptions<L> {
  /** Upper bounds in increasing order; `+Inf` is added. */
  buckets: readonly number[];
}

interface ScalarSeriesState {
  labels: Record<string, string>;
  value: number;
  /** A gauge set since the last drain. */
  touched: boolean;
}

interface HistogramSeriesState {
  labels: Record<string, string>;
  /** Per bucket, not cumulative; the last one is `+Inf`. */
  counts: number[];
  sum: number;
  count: number;
}

interface ScalarState {
  kind: 'counter' | 'gauge';
  name: string;
  help: string;
  labelNames: readonly string[];
  series: Map<string, ScalarSeriesState>;
}

interface HistogramState {
  kind: 'histogram';
  name: string;
  help: string;
  labelNames: readonly string[];
  bounds: readonly number[];
  series: Map<string, HistogramSeriesState>;
}

type State = ScalarState | HistogramState;

function splitArgs(args: unknown[]): [Record<string, string>, unknown[]] {
  if (typeof args[0] === 'object' && args[0] !== null) return [args[0] as Record<string, string>, args.slice(1)];
  return [{}, args];
}

function checkLabels(state: State, labels: Record<string, string>): { key: string; labels: Record<string, string> } {
  const clean: Record<string, string> = {};
  for (const name of state.labelNames) {
    const value = labels[name];
    if (value === undefined) throw new TypeError(`${state.name}: label ${name} is missing`);
    clean[name] = String(value);
  }
  for (const name of Object.keys(labels)) if (!state.labelNames.includes(name)) throw new TypeError(`${state.name}: unknown label ${name}`);
  return { key: JSON.stringify(state.labelNames.map((name) => clean[name])), labels: clean };
}

function checkNumber(state: State, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${state.name}: not a number: ${String(value)}`);
  return value;
}

/**
 * The metrics of one process. Counters and histograms hold what happened since the last
 * {@link MetricsRegistry.drain}; the metrics file adds them to the totals it already holds.
 */
export class MetricsRegistry {
  private readonly states: State[] = [];

  private define<S extends State>(state: S): S {
    if (!METRIC_NAME.test(state.name)) throw new TypeError(`bad metric name: ${state.name}`);
    if (this.states.some((s) => s.name === state.name)) throw new TypeError(`metric defined twice: ${state.name}`);
    for (const label of state.labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith('__')) throw new TypeError(`${state.name}: bad label name ${label}`);
      if (state.kind === 'histogram' && label === 'le') throw new TypeError(`${state.name}: a histogram cannot have a label named le`);
    }
    this.states.push(state);
    if (state.labelNames.length === 0) this.seriesFor(state, {});
    return state;
  }

  private seriesFor(state: ScalarState, labels: Record<string, string>): ScalarSeriesState;
  private seriesFor(state: HistogramState, labels: Record<string, string>): HistogramSeriesState;
  private seriesFor(state: State, labels: Record<string, string>): ScalarSeriesState | HistogramSeriesState;
  private seriesFor(state: State, labels: Record<string, string>): ScalarSeriesState | HistogramSeriesState {
    const checked = checkLabels(state, labels);
    if (state.kind === 'histogram') {
      let series = state.series.get(checked.key);
      if (!series) {
        series = { labels: checked.labels, counts: new Array<number>(state.bounds.length + 1).fill(0), sum: 0, count: 0 };
        state.series.set(checked.key, series);
      }
      return series;
    }
    let series = state.series.get(checked.key);
    if (!series) {
      series = { labels: checked.labels, value: 0, touched: false };
      state.series.set(checked.key, series);
    }
    return series;
  }

  counter<L extends string = never>(options: MetricOptions<L>): Counter<L> {
    const state = this.define<ScalarState>({ kind: 'counter', name: options.name, help: options.help, labelNames: options.labels ?? [], series: new Map() });
    return {
      name: options.name,
      inc: (...args: unknown[]) => {
        const [labels, [by = 1]] = splitArgs(args);
        const amount = checkNumber(state, by);
        if (amount < 0) throw new TypeError(`${state.name}: a counter cannot go down (${amount})`);
        const series = this.seriesFor(state, labels);
        series.value += amount;
      },
    };
  }

  gauge<L extends string = never>(options: MetricOptions<L>): Gauge<L> {
    const state = this.define<ScalarState>({ kind: 'gauge', name: options.name, help: options.help, labelNames: options.labels ?? [], series: new Map() });
    return {
      name: options.name,
      set: (...args: unknown[]) => {
        const [labels, [value]] = splitArgs(args);
        const series = this.seriesFor(state, labels);
        series.value = checkNumber(state, value);
        series.touched = true;
      },
    };
  }

  histogram<L extends string = never>(options: HistogramOptions<L>): Histogram<L> {
    const bounds = [...options.buckets];
    if (bounds.length === 0 || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number)))) {
      throw new TypeError(`${options.name}: buckets must be finite and strictly increasing`);
    }
    const state = this.define<HistogramState>({ kind: 'histogram', name: options.name, help: options.help, labelNames: options.labels ?? [], bounds, series: new Map() });
    const observe = (labels: Record<string, string>, value: number): void => {
      const series = this.seriesFor(state, labels);
      let index = bounds.findIndex((bound) => value <= bound);
      if (index === -1) index = bounds.length;
      series.counts[index] = (series.counts[index] ?? 0) + 1;
      series.sum += value;
      series.count += 1;
    };
    return {
      name: options.name,
      bounds,
      observe: (...args: unknown[]) => {
        const [labels, [value]] = splitArgs(args);
        observe(labels, checkNumber(state, value));
      },
      startTimer: (...args: unknown[]) => {
        const [labels] = splitArgs(args);
        checkLabels(state, labels);
        const start = performance.now();
        return () => {
          const seconds = (performance.now() - start) / 1000;
          observe(labels, seconds);
          return seconds;
        };
      },
    };
  }

  /** This process's values, without changing them. */
  snapshot(): FamilySnapshot[] {
    return this.states.map((state) => this.snapshotOf(state, false));
  }

  /**
   * Takes this process's values for writing and zeroes the counters and histograms (and marks
   * gauges as written), all in one synchronous step so nothing counted meanwhile is lost.
   * Give the result back to {@link restore} if the write fails.
   */
  drain(): FamilySnapshot[] {
    return this.states.map((state) => this.snapshotOf(state, true));
  }

  /** Adds a drained snapshot back after a failed write. */
  restore(snapshot: readonly FamilySnapshot[]): void {
    for (const family of snapshot) {
      const state = this.states.find((s) => s.name === family.name && s.kind === family.kind);
      if (!state) continue;
      for (const series of family.series) {
        if (state.kind === 'histogram' && family.kind === 'histogram') {
          const target = this.seriesFor(state, { ...series.labels });
          const source = series as HistogramSeries;
          source.cumulative.forEach((c, i) => (target.counts[i] = (target.counts[i] ?? 0) + c - (i > 0 ? (source.cumulative[i - 1] ?? 0) : 0)));
          target.sum += source.sum;
          target.count += source.count;
        } else if (state.kind === 'counter') {
          this.seriesFor(state, { ...series.labels }).value += (series as ScalarSeries).value;
        } else if (state.kind === 'gauge') {
          const target = this.seriesFor(state, { ...series.labels });
          if (!target.touched) {
            target.value = (series as ScalarSeries).value;
            target.touched = true;
          }
        }
      }
    }
  }

  /** Exposition text of this process's values alone. */
  render(): string {
    return renderFamilies(this.snapshot());
  }

  private snapshotOf(state: State, drain: boolean): FamilySnapshot {
    if (state.kind === 'histogram') {
      const series: HistogramSeries[] = [];
      for (const s of state.series.values()) {
        let running = 0;
        const cumulative = s.counts.map((c) => (running += c));
        series.push({ labels: { ...s.labels }, cumulative, sum: s.sum, count: s.count });
        if (drain) {
          s.counts.fill(0);
          s.sum = 0;
          s.count = 0;
        }
      }
      return { kind: 'histogram', name: state.name, help: state.help, labelNames: state.labelNames, bounds: state.bounds, series };
    }
    const series: ScalarSeries[] = [];
    for (const s of state.series.values()) {
      // A gauge nobody set in this process says nothing: the file keeps its previous value.
      if (state.kind === 'gauge' && drain && !s.touched) continue;
      if (state.kind === 'gauge' && !drain && !s.touched && state.labelNames.length > 0) continue;
      series.push({ labels: { ...s.labels }, value: s.value });
      if (drain) {
        if (state.kind === 'counter') s.value = 0;
        else s.touched = false;
      }
    }
    return { kind: state.kind, name: state.name, help: state.help, labelNames: state.labelNames, series };
  }
}
