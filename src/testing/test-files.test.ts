import { describe, expect, it } from 'vitest';
import { isTestFile, nearestTests, suggestTestPath } from './test-files.js';

describe('test files', () => {
  it('knows the conventions of the frameworks', () => {
    for (const f of ['src/a.test.ts', 'a.spec.jsx', 'src/__tests__/a.ts', 'tests/test_calc.py', 'calc_test.py', 'pkg/x_test.go', 'test/shop_test.exs', 'tests/it.rs', 'test/cart.mjs']) expect(isTestFile(f), f).toBe(true);
    for (const f of ['src/a.ts', 'src/testing/mutants.ts', 'node_modules/x/a.test.js', 'test.py', 'src/contest.go']) expect(isTestFile(f), f).toBe(false);
  });

  it('the nearest tests: same language, same name, then fewest folders between', () => {
    const files = ['src/lib/pricing.ts', 'src/cart.test.ts', 'test/pricing.test.ts', 'src/lib/tax.test.ts', 'tests/test_pricing.py', 'src/deep/er/x.test.ts'];
    expect(nearestTests(files, 'src/lib/pricing.ts')).toEqual(['test/pricing.test.ts', 'src/lib/tax.test.ts']);
    expect(nearestTests(files, 'src/lib/discount.ts', 3)).toEqual(['src/lib/tax.test.ts', 'src/cart.test.ts', 'src/deep/er/x.test.ts']);
    expect(nearestTests(files, 'calc/pricing.py', 1)).toEqual(['tests/test_pricing.py']);
  });

  it('a new test follows the nearest one: beside the source, in its test folder, __tests__, or the language default', () => {
    expect(suggestTestPath('src/lib/pricing.ts', 'src/cart.test.ts')).toBe('src/lib/pricing.test.ts');
    expect(suggestTestPath('src/lib/pricing.ts', 'src/cart.spec.ts')).toBe('src/lib/pricing.spec.ts');
    expect(suggestTestPath('src/lib/pricing.ts', 'test/unit/cart.test.ts')).toBe('test/unit/pricing.test.ts');
    expect(suggestTestPath('src/lib/pricing.ts', 'src/__tests__/cart.ts')).toBe('src/lib/__tests__/pricing.test.ts');
    expect(suggestTestPath('src/lib/pricing.ts', undefined)).toBe('src/lib/pricing.test.ts');
    expect(suggestTestPath('calc/pricing.py', 'tests/test_cart.py')).toBe('tests/test_pricing.py');
    expect(suggestTestPath('calc/pricing.py', undefined)).toBe('tests/test_pricing.py');
    expect(suggestTestPath('pricing/pricing.go', undefined)).toBe('pricing/pricing_test.go');
    expect(suggestTestPath('lib/shop/cart.ex', undefined)).toBe('test/shop/cart_test.exs');
  });
});
