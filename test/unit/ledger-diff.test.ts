import { describe, expect, it } from 'vitest';
import { firstLine, summariseText, type LedgerDiff } from '../../src/work/ledger-diff.js';
import { markdownEscape, renderMarkdown, summaryLine } from '../../src/cli/diff-render.js';

describe('long texts in gt diff', () => {
  it('are summarised by what happened to them, never dumped', () => {
    expect(summariseText(undefined, 'a\nb\n')).toBe('set (2 lines, 4 chars)');
    expect(summariseText('a\nb', undefined)).toBe('removed (was 2 lines)');
    expect(summariseText('first line', 'first line\nsecond\nthird')).toBe('appended 2 lines');
    expect(summariseText('one\ntwo\nthree', 'just one')).toBe('rewritten (3 → 1 line, 13 → 8 chars)');
    expect(firstLine('short')).toBe('short');
    expect(firstLine('two\nlines')).toBe('two…');
    expect(firstLine('x'.repeat(80))).toBe(`${'x'.repeat(60)}…`);
  });
});

describe('gt diff --markdown', () => {
  const empty: LedgerDiff = { from: 'a'.repeat(40), to: 'b'.repeat(40), beads: [], convoys: [], molecules: [], agents: [], mail: [], mrs: [], other: [], counts: {} };

  it('escapes ledger text so it cannot format, link or inject HTML', () => {
    expect(markdownEscape('<img src=x> *bold* [link](y) a|b `code`')).toBe('&lt;img src=x&gt; \\*bold\\* \\[link\\](y) a\\|b \\`code\\`');
    expect(markdownEscape('two\nlines')).toBe('two lines');
    expect(markdownEscape('ask @octocat')).toBe('ask @\u200boctocat');
  });

  it('says when nothing changed, and counts in a fixed order', () => {
    expect(summaryLine(empty)).toBe('no ledger changes');
    expect(summaryLine({ ...empty, counts: { comments_added: 2, beads_closed: 1, beads_created: 3 } })).toBe('3 beads created, 1 bead closed, 2 comments');
    expect(renderMarkdown(empty, 'a...b')).toBe('### Ledger changes `a...b`\n\n**no ledger changes** (`aaaaaaaaaa..bbbbbbbbbb`)\n');
  });
});
