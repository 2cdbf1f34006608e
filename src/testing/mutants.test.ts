import { describe, expect, it } from 'vitest';
import { canMutate, mutantsFor, parsesCleanly, type MutantSet } from './mutants.js';

const TS = `// Prices — with a non-ASCII dash, so offsets are checked past it.
export function applyDiscount(price: number, pct: number): number {
  if (pct < 0 || pct > 100) {
    throw new Error('bad pct');
  }
  const off = price * pct / 100;
  log(off);
  return price - off;
}

export const isFree = (price: number): boolean => price <= 0;

export class Cart {
  total(items: number[]): number {
    let sum = 0;
    for (const i of items) sum += i;
    return sum;
  }
}
`;

const PY = `def apply_discount(price, pct):
    if pct < 0 or pct > 100:
        raise ValueError("bad pct")
    off = price * pct / 100
    log(off)
    return price - off


def is_free(price):
    return price <= 0


class Cart:
    def total(self, items):
        s = 0
        for i in items:
            s += i
        return s > 10 and not self.empty
`;

const GO = `package pricing

// ApplyDiscount takes pct percent off price.
func ApplyDiscount(price float64, pct float64) float64 {
\tif pct < 0 || pct > 100 {
\t\tpanic("bad pct")
\t}
\toff := price * pct / 100
\tlog(off)
\treturn price - off
}

func IsFree(price float64) bool {
\treturn price <= 0
}

type Cart struct{ n int }

func (c *Cart) Grow() int {
\tc.n++
\treturn c.n + 1
}
`;

/** Every mutant parses, differs from the original, and changes nothing outside the target's lines. */
async function checkSet(path: string, original: string, set: MutantSet): Promise<void> {
  const lines = original.split('\n');
  expect(set.definitions).toHaveLength(1);
  const { startLine, endLine } = set.definitions[0]!;
  for (const m of set.mutants) {
    expect(m.content).not.toBe(original);
    expect(await parsesCleanly(path, m.content), `${m.id} ${m.description}`).toBe(true);
    expect(m.line).toBeGreaterThanOrEqual(startLine);
    expect(m.line).toBeLessThanOrEqual(endLine);
    // The lines before the target are identical; so are those after it (counted from the end).
    const got = m.content.split('\n');
    expect(got.slice(0, startLine - 1)).toEqual(lines.slice(0, startLine - 1));
    const after = lines.length - endLine;
    expect(got.slice(got.length - after)).toEqual(lines.slice(lines.length - after));
  }
  expect(new Set(set.mutants.map((m) => m.content)).size).toBe(set.mutants.length);
}

describe('mutantsFor: TypeScript', () => {
  it('mutates only applyDiscount, with every kind, and every mutant parses', async () => {
    const set = await mutantsFor('src/lib/pricing.ts', TS, { symbol: 'applyDiscount' });
    expect(set.language).toBe('typescript');
    expect(set.definitions).toEqual([{ name: 'applyDiscount', startLine: 2, endLine: 9 }]);
    await checkSet('src/lib/pricing.ts', TS, set);
    const descriptions = set.mutants.map((m) => `${m.kind} ${m.description}`);
    expect(descriptions).toContain('arithmetic line 8: `-` → `+`');
    expect(descriptions).toContain('arithmetic line 6: `*` → `/`');
    expect(descriptions).toContain('comparison line 3: `<` → `<=`');
    expect(descriptions).toContain('comparison line 3: `>` → `>=`');
    expect(descriptions).toContain('logical line 3: `||` → `&&`');
    expect(descriptions).toContain('condition line 3: `(pct < 0 || pct > 100)` → `(!((pct < 0 || pct > 100)))`');
    expect(descriptions).toContain('constant line 3: `100` → `101`');
    expect(descriptions).toContain('return line 8: `price - off` → `0`');
    expect(descriptions).toContain('statement line 7: removed `log(off);`');
    const minus = set.mutants.find((m) => m.description === 'line 8: `-` → `+`')!;
    expect(minus.content).toContain('  return price + off;\n');
    expect(minus.content.replace('price + off', 'price - off')).toBe(TS);
  });

  it('finds arrow functions and methods (Class.method), and a boolean return is negated', async () => {
    const free = await mutantsFor('a.ts', TS, { symbol: 'isFree' });
    await checkSet('a.ts', TS, free);
    expect(free.mutants.map((m) => m.description)).toEqual(expect.arrayContaining(['line 11: `price <= 0` → `!(price <= 0)`', 'line 11: `<=` → `<`', 'line 11: `0` → `1`']));
    const total = await mutantsFor('a.ts', TS, { symbol: 'Cart.total' });
    expect(total.definitions[0]!.name).toBe('Cart.total');
    await checkSet('a.ts', TS, total);
    expect(total.mutants.map((m) => m.description)).toEqual(expect.arrayContaining(['line 16: `+=` → `-=`', 'line 17: `sum` → `undefined`']));
    expect((await mutantsFor('a.ts', TS, { symbol: 'total' })).definitions[0]!.name).toBe('Cart.total');
  });

  it('a cap keeps a mix of kinds; no symbol mutates every function of the file', async () => {
    const capped = await mutantsFor('a.ts', TS, { symbol: 'applyDiscount', max: 6 });
    expect(capped.mutants).toHaveLength(6);
    expect(new Set(capped.mutants.map((m) => m.kind)).size).toBe(6);
    expect(capped.mutants.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    expect(capped.available).toBeGreaterThan(6);
    const whole = await mutantsFor('a.ts', TS);
    expect(whole.definitions.map((d) => d.name)).toEqual(['applyDiscount', 'isFree', 'Cart.total']);
  });

  it('an unknown symbol is a usage error naming what the file defines; other languages are refused', async () => {
    await expect(mutantsFor('a.ts', TS, { symbol: 'nope' })).rejects.toMatchObject({ code: 'test.target-not-found', exitCode: 2, hint: expect.stringContaining('applyDiscount') });
    await expect(mutantsFor('a.rb', 'def x; end\n')).rejects.toMatchObject({ code: 'test.language-unsupported' });
    expect(canMutate('x.py')).toBe(true);
    expect(canMutate('x.rb')).toBe(false);
  });
});

describe('mutantsFor: Python', () => {
  it('mutates only apply_discount; removed statements become pass; every mutant parses', async () => {
    const set = await mutantsFor('pricing.py', PY, { symbol: 'apply_discount' });
    await checkSet('pricing.py', PY, set);
    const d = set.mutants.map((m) => `${m.kind} ${m.description}`);
    expect(d).toEqual(
      expect.arrayContaining([
        'logical line 2: `or` → `and`',
        'comparison line 2: `<` → `<=`',
        'condition line 2: `pct < 0 or pct > 100` → `not (pct < 0 or pct > 100)`',
        'arithmetic line 4: `*` → `/`',
        'statement line 5: removed `log(off)`',
        'return line 6: `price - off` → `0`',
      ]),
    );
    const removed = set.mutants.find((m) => m.kind === 'statement' && m.line === 5)!;
    expect(removed.content).toContain('    off = price * pct / 100\n    pass\n    return price - off\n');
  });

  it('a method by Class.name: a not is removed, a boolean return negated', async () => {
    const set = await mutantsFor('pricing.py', PY, { symbol: 'Cart.total' });
    await checkSet('pricing.py', PY, set);
    expect(set.mutants.map((m) => m.description)).toEqual(expect.arrayContaining(['line 18: `not self.empty` → `self.empty`', 'line 18: `s > 10 and not self.empty` → `not (s > 10 and not self.empty)`', 'line 17: `+=` → `-=`']));
  });
});

describe('mutantsFor: Go', () => {
  it('mutates only ApplyDiscount; declarations stay (removing one would not compile); every mutant parses', async () => {
    const set = await mutantsFor('pricing.go', GO, { symbol: 'ApplyDiscount' });
    await checkSet('pricing.go', GO, set);
    const d = set.mutants.map((m) => `${m.kind} ${m.description}`);
    expect(d).toEqual(
      expect.arrayContaining([
        'comparison line 5: `<` → `<=`',
        'logical line 5: `||` → `&&`',
        'condition line 5: `pct < 0 || pct > 100` → `!(pct < 0 || pct > 100)`',
        'arithmetic line 10: `-` → `+`',
        'constant line 8: `100` → `101`',
        'statement line 9: removed `log(off)`',
        'return line 10: `price - off` → `0`',
      ]),
    );
    expect(d.some((x) => x.includes('off :='))).toBe(false);
  });

  it('a method by Receiver.Method', async () => {
    const set = await mutantsFor('pricing.go', GO, { symbol: 'Cart.Grow' });
    await checkSet('pricing.go', GO, set);
    expect(set.mutants.map((m) => m.description)).toEqual(expect.arrayContaining(['line 20: removed `c.n++`', 'line 21: `c.n + 1` → `0`', 'line 21: `+` → `-`']));
  });
});
