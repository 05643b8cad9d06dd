import { describe, expect, it } from 'vitest';
import { closestIds, generateId, idLength, resolveId } from '../../src/beads/ids.js';
import { AmbiguousIdError, NotFoundError } from '../../src/errors.js';

describe('ids', () => {
  it('grows the random part so one new id collides with probability below 1/10,000', () => {
    for (const n of [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]) {
      const length = idLength(n);
      expect(n / 36 ** length).toBeLessThan(1e-4);
      if (length > 4) expect(n / 36 ** (length - 1)).toBeGreaterThanOrEqual(1e-4);
    }
    expect([idLength(0), idLength(100), idLength(1_000), idLength(10_000)]).toEqual([4, 4, 5, 6]);
  });

  it('generates random, well-formed, unused ids (not sequential)', () => {
    const taken = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const id = generateId('gt', taken);
      expect(id).toMatch(/^gt-[0-9a-z]{4,6}$/);
      expect(taken.has(id)).toBe(false);
      taken.add(id);
    }
    expect(generateId('gt', new Set(), 'cv')).toMatch(/^gt-cv-[0-9a-z]{4}$/);
  });

  it('resolves exact ids, unique prefixes with or without the prefix part, and explains failures', () => {
    const ids = ['gt-4f2a', 'gt-4f9b', 'gt-zz10'];
    expect(resolveId('gt-4f2a', ids)).toBe('gt-4f2a');
    expect(resolveId('gt-z', ids)).toBe('gt-zz10');
    expect(resolveId('4f2', ids)).toBe('gt-4f2a');
    expect(resolveId('GT-ZZ', ids)).toBe('gt-zz10');
    expect(() => resolveId('gt-4f', ids)).toThrow(AmbiguousIdError);
    try {
      resolveId('gt-4f', ids);
    } catch (error) {
      expect((error as AmbiguousIdError).candidates).toEqual(['gt-4f2a', 'gt-4f9b']);
    }
    expect(() => resolveId('nope', ids)).toThrow(NotFoundError);
    expect(closestIds('gt-4f2b', ids)[0]).toBe('gt-4f2a');
  });

  it('an empty query, or only the part every id shares, matches nothing', () => {
    const beads = ['gt-4f2a'];
    for (const q of ['', '  ', 'gt', 'gt-', 'GT-']) expect(() => resolveId(q, beads)).toThrow(NotFoundError);
    expect(resolveId('gt-4', beads)).toBe('gt-4f2a');
    expect(resolveId('4', beads)).toBe('gt-4f2a');
    const molecules = ['gt-mol-7k2p'];
    for (const q of ['gt-mol', 'gt-mol-', 'mol', 'mol-']) expect(() => resolveId(q, molecules, 'molecule')).toThrow(NotFoundError);
    expect(resolveId('gt-mol-7', molecules)).toBe('gt-mol-7k2p');
    expect(resolveId('mol-7', molecules)).toBe('gt-mol-7k2p');
    expect(resolveId('7k', molecules)).toBe('gt-mol-7k2p');
    // Ids without a '-' (imported) still resolve by any non-empty prefix.
    expect(resolveId('ab', ['abc'])).toBe('abc');
    expect(() => resolveId('', ['abc'])).toThrow(NotFoundError);
  });
});
