import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CLOSING_KEYWORDS, REFERENCING_KEYWORDS, parseBeadReferences } from '../../src/beads/trailers.js';
import { parseRewrites } from '../../src/githooks/run-hook.js';

const parse = (message: string, prefix?: string) => parseBeadReferences(message, prefix ? { prefix } : {});

describe('bead references in commit messages', () => {
  it('closing keywords close, referencing keywords only record', () => {
    for (const keyword of ['Close', 'Closes', 'Closed', 'Fix', 'Fixes', 'Fixed', 'Resolve', 'Resolves', 'Resolved']) {
      expect(parse(`Do it\n\n${keyword}: gt-4f2a`)).toEqual([{ id: 'gt-4f2a', closes: true }]);
      expect(parse(`Do it\n\n${keyword} gt-4f2a`)).toEqual([{ id: 'gt-4f2a', closes: true }]);
    }
    for (const keyword of ['Ref', 'Refs', 'Gt-Bead']) {
      expect(parse(`Do it\n\n${keyword}: gt-4f2a`)).toEqual([{ id: 'gt-4f2a', closes: false }]);
      expect(parse(`Do it\n\n${keyword} gt-4f2a`)).toEqual([{ id: 'gt-4f2a', closes: false }]);
    }
  });

  it('keywords and ids in any case; ids come back lowercased', () => {
    expect(parse('CLOSES: GT-4F2A')).toEqual([{ id: 'gt-4f2a', closes: true }]);
    expect(parse('fixes gt-4f2a')).toEqual([{ id: 'gt-4f2a', closes: true }]);
    expect(parse('rEfS: Gt-9E1c')).toEqual([{ id: 'gt-9e1c', closes: false }]);
    expect(parse('gt-bead: gt-9e1c')).toEqual([{ id: 'gt-9e1c', closes: false }]);
  });

  it('several ids on one line, separated by commas, spaces or "and"; the list ends at the first other word', () => {
    expect(parse('Closes: gt-4f2a, gt-9e1c gt-77')).toEqual([
      { id: 'gt-4f2a', closes: true },
      { id: 'gt-9e1c', closes: true },
      { id: 'gt-77', closes: true },
    ]);
    expect(parse('Fixes gt-4f2a and gt-9e1c.')).toEqual([
      { id: 'gt-4f2a', closes: true },
      { id: 'gt-9e1c', closes: true },
    ]);
    expect(parse('Fixes gt-4f2a by retrying gt-9e1c')).toEqual([{ id: 'gt-4f2a', closes: true }]);
    expect(parse('Refs (gt-4f2a)')).toEqual([{ id: 'gt-4f2a', closes: false }]);
    expect(parse('Closes:gt-4f2a')).toEqual([{ id: 'gt-4f2a', closes: true }]);
  });

  it('ids in the middle of prose name nothing; nor does a keyword inside a word or mid-line', () => {
    expect(parse('Make gt-4f2a faster\n\nThis closes gt-4f2a and fixes gt-9e1c.')).toEqual([]);
    expect(parse('Fixtures for gt-4f2a')).toEqual([]);
    expect(parse('Refsgt-4f2a')).toEqual([]);
    expect(parse('Fix login bug')).toEqual([]);
    expect(parse('Closes #42')).toEqual([]);
    expect(parse('Fixes and gt-4f2a')).toEqual([]);
  });

  it('a bead named by a closing and a referencing line closes; each bead comes once, in first-named order', () => {
    expect(parse('Fix thing\n\nRefs: gt-9e1c, gt-4f2a\nCloses: gt-4f2a\nGt-Bead: gt-9e1c')).toEqual([
      { id: 'gt-9e1c', closes: false },
      { id: 'gt-4f2a', closes: true },
    ]);
  });

  it('the subject line counts, and so do bulleted lines', () => {
    expect(parse('Fix gt-4f2a: empty titles')).toEqual([{ id: 'gt-4f2a', closes: true }]);
    expect(parse('Squashed\n\n- Fixes gt-4f2a\n* Refs gt-9e1c')).toEqual([
      { id: 'gt-4f2a', closes: true },
      { id: 'gt-9e1c', closes: false },
    ]);
  });

  it('with the ledger prefix, ids of other prefixes (other trackers) are skipped, not fatal', () => {
    expect(parse('Fixes: JIRA-12, gt-4f2a', 'gt')).toEqual([{ id: 'gt-4f2a', closes: true }]);
    expect(parse('Fixes: gt-4f2a', 'web')).toEqual([]);
    expect(parse('Fix login-page bug', 'gt')).toEqual([]);
  });

  it('comment lines of a message file are skipped when asked', () => {
    expect(parseBeadReferences('Work\n# Refs gt-4f2a\n', { commentChar: '#' })).toEqual([]);
    expect(parseBeadReferences('Work\r\nRefs gt-4f2a\r\n')).toEqual([{ id: 'gt-4f2a', closes: false }]);
  });

  it("reads post-rewrite's stdin", () => {
    const a = 'a'.repeat(40);
    const b = 'b'.repeat(40);
    expect(parseRewrites(`${a} ${b}\n${b} ${a} extra\n\nnonsense\n`)).toEqual([
      { old: a, new: b },
      { old: b, new: a },
    ]);
  });
});

// ---- properties -------------------------------------------------------------------------------

const KEYWORDS = [...CLOSING_KEYWORDS, ...REFERENCING_KEYWORDS];
const caseOf = (word: string) =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) => [...word].map((ch, i) => (upper[i] ? ch.toUpperCase() : ch)).join(''));
const keywordArb = fc.constantFrom(...KEYWORDS).chain(caseOf);
const idArb = fc
  .tuple(fc.constantFrom('gt', 'web', 'jira', 'ab'), fc.stringMatching(/^[0-9a-z]{1,6}$/))
  .map(([prefix, rest]) => `${prefix}-${rest}`)
  .chain(caseOf);
const wordArb = fc.constantFrom('thing', 'and', '&', 'the', 'fix', 'login-page', '#42', 'by', 'Fixes', 'refs', '(', ')', '.', 'bug');
const separatorArb = fc.constantFrom(': ', ' ', ':', '  :  ', '\t', ': ', ',');
const tokenArb = fc.oneof(idArb, wordArb, idArb.map((id) => `(${id})`), idArb.map((id) => `${id}.`), idArb.map((id) => `${id},`));
const lineArb = fc.oneof(
  // A keyword line (possibly bulleted, indented).
  fc
    .tuple(
      fc.constantFrom('', '  ', '- ', '* '),
      keywordArb,
      separatorArb,
      fc.array(fc.tuple(tokenArb, fc.constantFrom(' ', ', ', ',', ' and ')), { maxLength: 5 }),
    )
    .map(([lead, keyword, sep, tokens]) => `${lead}${keyword}${sep}${tokens.map(([t, j]) => t + j).join('')}`),
  // Prose that may mention ids and keywords anywhere but at the start.
  fc.tuple(wordArb, fc.array(fc.oneof(tokenArb, keywordArb), { maxLength: 6 })).map(([first, rest]) => [first, ...rest].join(' ')),
  fc.constant(''),
);
const messageArb = fc.array(lineArb, { minLength: 1, maxLength: 6 }).map((lines) => lines.join('\n'));

/** The shell fast path's pattern, read from the installed script's template. */
function grepPattern(): string {
  const script = readFileSync(resolve(import.meta.dirname, '../../hooks/gt-hook.sh'), 'utf8');
  const match = /grep -Eiq '([^']+)'/.exec(script);
  if (!match?.[1]) throw new Error('no grep -Eiq pattern in hooks/gt-hook.sh');
  return match[1];
}

describe('bead references: properties', () => {
  it('every id found is id-shaped, lowercase, unique, and written on a keyword line of the message', () => {
    fc.assert(
      fc.property(messageArb, (message) => {
        const refs = parseBeadReferences(message);
        expect(new Set(refs.map((r) => r.id)).size).toBe(refs.length);
        for (const ref of refs) {
          expect(ref.id).toMatch(/^[a-z]{2,8}-[0-9a-z]+$/);
          const lines = message.split('\n').filter((l) => l.toLowerCase().includes(ref.id));
          expect(lines.some((l) => KEYWORDS.some((k) => l.trim().replace(/^[-*]\s+/, '').toLowerCase().startsWith(k)))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a prefix only narrows: the ids with that prefix, with the same closes flags', () => {
    fc.assert(
      fc.property(messageArb, fc.constantFrom('gt', 'web'), (message, prefix) => {
        const all = parseBeadReferences(message);
        expect(parseBeadReferences(message, { prefix })).toEqual(all.filter((r) => r.id.startsWith(`${prefix}-`)));
      }),
      { numRuns: 300 },
    );
  });

  it("the hook script's shell fast path never skips a message that names a bead (checked with the real grep)", () => {
    const pattern = grepPattern();
    let naming = 0;
    fc.assert(
      fc.property(messageArb, (message) => {
        const names = parseBeadReferences(message).length > 0;
        const grep = spawnSync('grep', ['-Eiq', pattern], { input: `${message}\n` });
        if (names) {
          naming++;
          expect(grep.status).toBe(0);
        }
      }),
      { numRuns: 200 },
    );
    // The generator is worth something only if many of its messages do name beads.
    expect(naming).toBeGreaterThan(40);
  });
});
