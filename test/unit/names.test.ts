import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AGENT_REF_PREFIX,
  agentNameProblem,
  checkAgentName,
  checkId,
  checkPrefix,
  idProblem,
  isAgentName,
  isValidId,
  isWellFormedRef,
  shownName,
} from '../../src/ledger/names.js';
import { agentRef, entityPath } from '../../src/ledger/layout.js';
import { UsageError } from '../../src/errors.js';

/** Native git's verdict on a full ref name. */
function gitAcceptsRef(ref: string): boolean {
  if (ref.includes('\u0000')) return false; // cannot even be passed as an argument
  return spawnSync('git', ['check-ref-format', ref]).status === 0;
}

/** Safe as one path segment: stays one segment, is no directory alias, and cannot reach .git. */
function safeSegment(id: string): boolean {
  return (
    id !== '' &&
    !id.includes('/') &&
    !id.includes('\\') &&
    !id.includes('\u0000') &&
    !id.includes('..') &&
    id !== '.' &&
    id.toLowerCase() !== '.git' &&
    !/[\u0000-\u001f\u007f\s]/u.test(id)
  );
}

const HOSTILE_AGENT_NAMES = ['x.lock', 'a..b', 'a.', '.x', 'a/', '/a', 'a/b', '@{', 'a@{b', '@', 'a b', 'a\tb', 'a\nb', 'a\u0000b', 'a\u007f', 'A', 'a~1', 'a^', 'a:b', 'a?', 'a*', 'a[', 'a\\b', '-a', '', 'x'.repeat(64)];
const HOSTILE_IDS = ['', '.', '..', '.git', '.GIT', 'a/b', '../x', 'a\\b', 'a..b', 'a b', 'a\tb', 'a\nb', 'a\u0000b', 'a\u0001', ' a', 'a ', 'a\u00a0b', 'x'.repeat(201)];

describe('agent names', () => {
  it.each(HOSTILE_AGENT_NAMES.map((n) => [JSON.stringify(n), n]))('refuses %s with one line saying why', (_shown, name) => {
    expect(isAgentName(name)).toBe(false);
    try {
      checkAgentName(name);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      const e = error as UsageError;
      expect(e.exitCode).toBe(2);
      expect(e.message).not.toMatch(/[\n\r\u0000]/);
      expect(e.message).toMatch(/^invalid agent name '.*': .+/);
      expect(e.hint).toMatch(/lowercase letters/);
    }
  });

  it('says what is wrong in the words of the rule that was broken', () => {
    expect(agentNameProblem('x.lock')).toMatch(/ends in '\.lock'/);
    expect(agentNameProblem('a..b')).toMatch(/holds '\.\.'/);
    expect(agentNameProblem('a.')).toMatch(/ends in '\.'/);
    expect(agentNameProblem('a b')).toMatch(/whitespace/);
    expect(agentNameProblem('a\nb')).toMatch(/control character/);
    expect(agentNameProblem('Alice')).toMatch(/uppercase/);
    expect(agentNameProblem('a@{b')).toMatch(/holds '@'/);
  });

  it.each(['alice', 'polecat-1', 'a', '0', 'a.b', 'a_b', 'crew.max-2', 'overseer', 'x'.repeat(63)])('accepts %s', (name) => {
    expect(checkAgentName(name)).toBe(name);
    expect(agentRef(name)).toBe(`${AGENT_REF_PREFIX}${name}`);
  });

  it('agentRef itself refuses a name git would not take, even when no entry point checked it', () => {
    for (const name of ['a..b', 'a.', 'x.lock', 'a b', '@{']) expect(() => agentRef(name)).toThrow(UsageError);
  });
});

describe('ids', () => {
  it.each(HOSTILE_IDS.map((n) => [JSON.stringify(n), n]))('refuses %s', (_shown, id) => {
    expect(idProblem(id)).toBeDefined();
    expect(() => checkId(id, 'bead id')).toThrow(/^invalid bead id '.*': /);
    expect(() => entityPath('beads', id)).toThrow(UsageError);
  });

  it.each(['gt-4f2a', 'bd-a1.1', 'gt-mol-7k2p', 'external:proj:cap', 'ünicöde', '.hidden', 'a.b.c'])('accepts %s', (id) => {
    expect(checkId(id)).toBe(id);
    expect(entityPath('beads', id)).toBe(`beads/${id}.yaml`);
  });

  it('shows names in messages on one line, control characters escaped', () => {
    expect(shownName('a\nb\u0000c\\')).toBe("'a\\nb\\u0000c\\\\'");
    expect(shownName('x'.repeat(100))).toHaveLength(63);
  });
});

describe('prefix', () => {
  it('is 2 to 8 lowercase letters', () => {
    expect(checkPrefix('gt')).toBe('gt');
    for (const bad of ['', 'g', 'GT', 'g-t', 'g/t', '..', 'abcdefghi', 'a\nb']) expect(() => checkPrefix(bad)).toThrow(/^invalid prefix '/);
  });
});

describe('property: an accepted name is safe', () => {
  const anyName = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    // Strings made of the characters that matter to git and to paths, so the rules are really exercised.
    fc.string({ unit: fc.constantFrom('a', 'b', '1', '.', '-', '_', '/', '\\', '@', '{', '~', '^', ':', '?', '*', '[', ' ', '\n', '\u0000', '\u007f', 'L', 'o', 'c', 'k', 'l'), maxLength: 10 }),
    fc.constantFrom('lock', '.lock', 'a.lock', 'a.lockb', 'a..', '@', '@{', '{', '.', '..', '.git'),
  );

  it('accepted as an id ⇒ safe as a path segment', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        if (isValidId(name)) expect(safeSegment(name)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepted as an agent name ⇒ a safe path segment and a ref native git accepts (spot-checked against git check-ref-format)', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const ok = isAgentName(name);
        if (ok) {
          expect(safeSegment(name)).toBe(true);
          expect(gitAcceptsRef(`${AGENT_REF_PREFIX}${name}`)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('the ref check (is-git-ref-name-valid) agrees with native git check-ref-format', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const ref = `${AGENT_REF_PREFIX}${name}`;
        expect(isWellFormedRef(ref)).toBe(gitAcceptsRef(ref));
      }),
      { numRuns: 150 },
    );
  });
});
