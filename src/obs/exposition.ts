/** Prometheus text exposition format, version 0.0.4: rendering and a reader for merging. */

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** One series of a counter or gauge. */
export interface ScalarSeries {
  labels: Readonly<Record<string, string>>;
  value: number;
}

/** One series of a histogram: cumulative counts per bound, the last one for `+Inf`. */
export interface HistogramSeries {
  labels: Readonly<Record<string, string>>;
  cumulative: number[];
  sum: number;
  count: number;
}

/** A metric family with its values, as rendered. */
export type FamilySnapshot =
  | { kind: 'counter' | 'gauge'; name: string; help: string; labelNames: readonly string[]; series: ScalarSeries[] }
  | {
      kind: 'histogram';
      name: string;
      help: string;
      labelNames: readonly string[];
      /** Upper bounds, strictly increasing, without `+Inf`. */
      bounds: readonly number[];
      series: HistogramSeries[];
    };

export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Label values escape backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and newline. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function labelText(names: readonly string[], labels: Readonly<Record<string, string>>, extra?: readonly [string, string]): string {
  const parts = names.map((name) => `${name}="${escapeLabelValue(labels[name] ?? '')}"`);
  if (extra) parts.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/**
 * Renders families as exposition text: `# HELP` and `# TYPE` before each family's samples, no
 * timestamps (the node_exporter textfile collector refuses them), a final newline. Families
 * without series are left out, as client libraries do.
 */
export function renderFamilies(families: readonly FamilySnapshot[]): string {
  const out: string[] = [];
  for (const family of families) {
    if (family.series.length === 0) continue;
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.kind}`);
    if (family.kind === 'histogram') {
      for (const series of family.series) {
        family.bounds.forEach((bound, i) => {
          out.push(`${family.name}_bucket${labelText(family.labelNames, series.labels, ['le', formatValue(bound)])} ${formatValue(series.cumulative[i] ?? 0)}`);
        });
        out.push(`${family.name}_bucket${labelText(family.labelNames, series.labels, ['le', '+Inf'])} ${formatValue(series.count)}`);
        out.push(`${family.name}_sum${labelText(family.labelNames, series.labels)} ${formatValue(series.sum)}`);
        out.push(`${family.name}_count${labelText(family.labelNames, series.labels)} ${formatValue(series.count)}`);
      }
    } else {
      for (const series of family.series) out.push(`${family.name}${labelText(family.labelNames, series.labels)} ${formatValue(series.value)}`);
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** A sample read back from exposition text. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Samples grouped by family name (histogram samples under their base name), with their TYPE. */
export type ParsedFamilies = Map<string, { kind: string; samples: ParsedSample[] }>;

function parseNumber(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (text === 'NaN') return Number.NaN;
  const value = Number(text);
  if (text.trim() === '' || Number.isNaN(value)) throw new Error(`not a number: ${text}`);
  return value;
}

/** Parses one sample line; throws on anything malformed. */
export function parseSampleLine(line: string): ParsedSample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new Error(`bad metric name in: ${line}`);
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!labelMatch) throw new Error(`bad label name in: ${line}`);
      const labelName = labelMatch[0];
      i += labelName.length;
      if (line[i] !== '=' || line[i + 1] !== '"') throw new Error(`expected =" after ${labelName} in: ${line}`);
      i += 2;
      let value = '';
      for (;;) {
        const ch = line[i];
        if (ch === undefined) throw new Error(`unterminated label value in: ${line}`);
        i++;
        if (ch === '"') break;
        if (ch === '\\') {
          const next = line[i];
          i++;
          if (next === 'n') value += '\n';
          else if (next === '\\' || next === '"') value += next;
          else throw new Error(`bad escape \\${next ?? ''} in: ${line}`);
        } else value += ch;
      }
      if (labelName in labels) throw new Error(`duplicate label ${labelName} in: ${line}`);
      labels[labelName] = value;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') throw new Error(`expected , or } in: ${line}`);
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') throw new Error(`expected a value in: ${line}`);
  return { name, labels, value: parseNumber(rest[0] as string) };
}

/** Reads exposition text into families; throws on a malformed line. */
export function parseExposition(text: string): ParsedFamilies {
  const families: ParsedFamilies = new Map();
  const types = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^#\s+TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (type) types.set(type[1] as string, type[2] as string);
      continue;
    }
    const sample = parseSampleLine(line);
    let family = sample.name;
    const suffix = /_(bucket|sum|count)$/.exec(sample.name);
    if (suffix) {
      const base = sample.name.slice(0, -suffix[0].length);
      if (types.get(base) === 'histogram' || types.get(base) === 'summary') family = base;
    }
    let entry = families.get(family);
    if (!entry) {
      entry = { kind: types.get(family) ?? 'untyped', samples: [] };
      families.set(family, entry);
    }
    entry.samples.push(sample);
  }
  return families;
}
