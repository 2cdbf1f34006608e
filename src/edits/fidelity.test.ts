import { describe, expect, it } from 'vitest';
import { applyEdits } from './apply.js';
import { parseEditBlocks } from './parse.js';
import type { EditBlock, MatchRule } from './types.js';

/** mulberry32: a small seeded generator, so a failure replays from its seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Eol = '\n' | '\r\n' | '';
type Perturbation = 'none' | 'indent-drift' | 'leading-blank' | 'missing-blank' | 'trailing-spaces' | 'bom' | 'second-divider' | 'crlf-reply';

interface Generated {
  seed: number;
  bom: string;
  texts: string[];
  eols: Eol[];
  /** The line that changes, and the first and last line of the SEARCH. */
  k: number;
  from: number;
  to: number;
  perturbation: Perturbation;
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'return x;', 'if (a) {', '}', 'call(y)', '# note', 'value = 3'];

function generate(seed: number): Generated {
  const r = generator(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const n = 4 + Math.floor(r() * 12);
  // Unique bodies, so a SEARCH can only be where it was taken from.
  const texts = Array.from({ length: n }, (_, i) => (r() < 0.25 ? pick(['', '  ', '\t']) : `${pick(['', '  ', '    ', '\t'])}${pick(WORDS)} ${i}${r() < 0.1 ? '  ' : ''}`));
  const trailing = Math.floor(r() * 4);
  for (let i = 0; i < trailing; i++) texts.push(pick(['', '', ' ', '\t']));
  const mode = pick(['lf', 'crlf', 'mixed'] as const);
  const eols: Eol[] = texts.map(() => (mode === 'lf' ? '\n' : mode === 'crlf' ? '\r\n' : pick(['\n', '\r\n'] as const)));
  if (r() < 0.35) {
    eols[eols.length - 1] = '';
    // An empty unterminated last line is no line at all: the file would just end in a newline.
    if (texts[texts.length - 1] === '') texts[texts.length - 1] = ' ';
  }
  const bom = r() < 0.25 ? '\uFEFF' : '';
  // One middle line with text: never the first or the last line of the file.
  const middle = texts.map((_, i) => i).filter((i) => i > 0 && i < texts.length - 1 && texts[i]!.trim() !== '');
  const k = middle.length > 0 ? pick(middle) : 1;
  if (texts[k]!.trim() === '') texts[k] = `filler ${k}`;
  const from = Math.max(1, k - Math.floor(r() * 3));
  const to = Math.min(texts.length - 2, k + Math.floor(r() * 3));
  const perturbation = pick(['none', 'indent-drift', 'leading-blank', 'missing-blank', 'trailing-spaces', 'bom', 'second-divider', 'crlf-reply'] as const);
  return { seed, bom, texts, eols, k, from, to, perturbation };
}

const changed = (line: string): string => `${line.trimEnd()} /* changed */`;

/** The model's reply for a generated case: a block changing line `k`, perturbed as models do. */
function reply(g: Generated): string {
  let search = g.texts.slice(g.from, g.to + 1);
  let replace = search.map((l, i) => (g.from + i === g.k ? changed(l) : l));
  switch (g.perturbation) {
    case 'indent-drift':
      search = search.map((l) => (l.trim() === '' ? l : ` ${l}`));
      replace = replace.map((l) => (l.trim() === '' ? l : ` ${l}`));
      break;
    case 'leading-blank':
      search = ['', ...search];
      replace = ['', ...replace];
      break;
    case 'missing-blank': {
      const keep = search.map((l) => l.trim() !== '');
      search = search.filter((_, i) => keep[i]);
      replace = replace.filter((_, i) => keep[i]);
      break;
    }
    case 'trailing-spaces':
      search = search.map((l) => `${l} `);
      break;
    case 'bom':
      search = [`\uFEFF${search[0]}`, ...search.slice(1)];
      replace = [`\uFEFF${replace[0]}`, ...replace.slice(1)];
      break;
    default:
  }
  const tail = g.perturbation === 'second-divider' ? ['======='] : [];
  const text = ['src/f.ts', '```', '<<<<<<< SEARCH', ...search, '=======', ...replace, ...tail, '>>>>>>> REPLACE', '```', ''].join('\n');
  return g.perturbation === 'crlf-reply' ? text.replace(/\n/g, '\r\n') : text;
}

const lineBytes = (g: Generated): string[] => g.texts.map((t, i) => t + g.eols[i]!);

describe('nothing outside the matched region changes (seeded property)', () => {
  const SEEDS = 600;
  const outcomes = new Map<MatchRule | 'failed', number>();

  it(`${SEEDS} generated files: prefix and suffix bytes identical, the changed line in place`, () => {
    const failures: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const g = generate(seed);
      const original = g.bom + lineBytes(g).join('');
      const parsed = parseEditBlocks(reply(g));
      expect(parsed.errors, `seed ${seed}`).toEqual([]);
      const r = applyEdits(parsed.blocks as EditBlock[], new Map([['src/f.ts', original]]));
      if (r.applied.length !== 1) {
        // Only a tolerant rule may fail, and only where the perturbed text is found twice.
        outcomes.set('failed', (outcomes.get('failed') ?? 0) + 1);
        if (g.perturbation === 'none' || g.perturbation === 'bom' || g.perturbation === 'second-divider' || g.perturbation === 'crlf-reply') {
          failures.push(`seed ${seed} (${g.perturbation}): ${r.failed[0]?.message}`);
        }
        continue;
      }
      const a = r.applied[0]!;
      outcomes.set(a.rule, (outcomes.get(a.rule) ?? 0) + 1);
      const out = r.files.get('src/f.ts')!;
      const bytes = lineBytes(g);
      const prefix = g.bom + bytes.slice(0, a.before.start - 1).join('');
      const suffix = bytes.slice(a.before.end).join('');
      // The region is within the lines the SEARCH was taken from (and the blank line above it
      // when the model added one and the file has it).
      const top = g.perturbation === 'leading-blank' && g.texts[g.from - 1]!.trim() === '' ? g.from - 1 : g.from;
      if (a.before.start - 1 < top || a.before.end > g.to + 1) failures.push(`seed ${seed}: region ${a.before.start}-${a.before.end} outside the SEARCH lines ${g.from + 1}-${g.to + 1}`);
      if (!out.startsWith(prefix)) failures.push(`seed ${seed} (${g.perturbation}): the bytes before the region changed`);
      if (!out.endsWith(suffix) || out.length < prefix.length + suffix.length) failures.push(`seed ${seed} (${g.perturbation}): the bytes after the region changed`);
      // The whole file: only line k's text changed; it keeps its own line ending.
      const want = g.bom + bytes.map((b, i) => (i === g.k ? changed(g.texts[i]!) + g.eols[i]! : b)).join('');
      if (out !== want) failures.push(`seed ${seed} (${g.perturbation}, ${a.rule}): ${JSON.stringify(original)} gave ${JSON.stringify(out)}`);
    }
    expect(failures).toEqual([]);
    // The loop went through the tolerant rules too, not only exact matches.
    for (const rule of ['exact', 'whitespace', 'leading-blank', 'blank-lines'] as const) expect(outcomes.get(rule) ?? 0, rule).toBeGreaterThan(5);
  });

  it('appending keeps every byte of the file and its missing final newline', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const g = generate(seed);
      const original = g.bom + lineBytes(g).join('');
      const r = applyEdits([{ index: 0, path: 'f', pathInherited: false, search: '', replace: 'added 1\nadded 2\n', line: 1 }], new Map([['f', original]]));
      const out = r.files.get('f')!;
      const last = g.eols[g.eols.length - 1]!;
      if (last === '') {
        // The old last line gets the ending of the line before it; the new text ends unterminated like the file did.
        const eol = g.eols.find((e) => e !== '') ?? '\n';
        expect(out.startsWith(original), `seed ${seed}`).toBe(true);
        expect(out.slice(original.length), `seed ${seed}`).toMatch(new RegExp(`^(\\r\\n|\\n)added 1(\\r\\n|\\n)added 2$`));
        expect(['\n', '\r\n']).toContain(eol);
      } else {
        expect(out.startsWith(original), `seed ${seed}`).toBe(true);
        expect(out.slice(original.length), `seed ${seed}`).toMatch(/^added 1(\r\n|\n)added 2(\r\n|\n)$/);
      }
    }
  });
});
