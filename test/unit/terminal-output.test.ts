import { describe, expect, it } from 'vitest';
import { colorEnabled, displayWidth, fitWidth, formatTime, plural } from '../../src/cli/output.js';
import { completionTree, kindOf } from '../../src/cli/completion.js';
import { buildProgram } from '../../src/cli/program.js';
import { applyKey, keysOf, type ConvoyViewState } from '../../src/cli/convoy-view.js';
import type { ConvoyProgress } from '../../src/convoys/convoy-service.js';

describe('human output', () => {
  it('colours only a terminal, unless NO_COLOR (which wins) or FORCE_COLOR say otherwise', () => {
    expect(colorEnabled({}, true)).toBe(true);
    expect(colorEnabled({}, false)).toBe(false);
    expect(colorEnabled({ TERM: 'dumb' }, true)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '1' }, true)).toBe(false);
    expect(colorEnabled({ NO_COLOR: '' }, true)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: '1' }, false)).toBe(true);
    expect(colorEnabled({ FORCE_COLOR: '0' }, true)).toBe(false);
    expect(colorEnabled({ FORCE_COLOR: '1', NO_COLOR: '1' }, true)).toBe(false);
  });

  it('cuts text to a number of terminal columns, counting wide characters as two', () => {
    expect(fitWidth('short', 10)).toBe('short');
    expect(fitWidth('exactly 10', 10)).toBe('exactly 10');
    expect(fitWidth('a bit longer than ten', 10)).toBe('a bit lon…');
    expect(displayWidth('🚚 日本')).toBe(7);
    expect(fitWidth('🚚🚚🚚🚚', 5)).toBe('🚚🚚…');
    expect(displayWidth(fitWidth('日本語のタイトル', 9))).toBeLessThanOrEqual(9);
  });

  it('says 1 bead and 2 beads, and shows every time one way', () => {
    expect(plural(1, 'bead')).toBe('1 bead');
    expect(plural(0, 'bead')).toBe('0 beads');
    expect(plural(10_000, 'entity', 'entities')).toBe('10,000 entities');
    expect(formatTime('2026-11-30T14:15:02.123Z')).toBe('2026-11-30 14:15:02 UTC');
    expect(formatTime(Date.parse('2026-01-01T00:00:00Z'))).toBe('2026-01-01 00:00:00 UTC');
    expect(formatTime(undefined)).toBe('');
  });
});

describe('completion from the command tree', () => {
  it('knows every command and what its arguments name', () => {
    const nodes = completionTree(buildProgram());
    const at = (path: string) => nodes.find((n) => n.path.join(' ') === path)!;
    expect(at('').subcommands).toEqual(expect.arrayContaining(['create', 'convoy', 'completion', 'doctor']));
    expect(at('show').args).toEqual(['beads']);
    expect(at('show').variadic).toBe(true);
    expect(at('convoy status').args).toEqual(['convoys']);
    expect(at('sling').args).toEqual(['beads', 'agents']);
    expect(at('dep add').args).toEqual(['beads', 'beads']);
    expect(at('mol show').args).toEqual([undefined]);
    expect(at('mail read').args).toEqual([undefined]);
    expect(at('list').options.find((o) => o.flags.includes('--assignee'))).toMatchObject({ takesValue: true, kind: 'agents' });
    // gt's own options are offered under every command; --version only at the top.
    expect(at('convoy list').options.flatMap((o) => o.flags)).toEqual(expect.arrayContaining(['--as', '-C', '--all']));
    expect(at('convoy list').options.flatMap((o) => o.flags)).not.toContain('--version');
    expect(kindOf('formula', 'formula name')).toBe('formulas');
    expect(kindOf('name', 'polecat name')).toBe('agents');
    expect(kindOf('id', 'request id (any unique prefix)')).toBeUndefined();
  });
});

describe('the convoy view keys', () => {
  it('moves, expands and quits', () => {
    const p = (id: string) => ({ convoy: { id } }) as unknown as ConvoyProgress;
    const progress = [p('a'), p('b')];
    const state: ConvoyViewState = { cursor: 0, expanded: new Set() };
    expect(keysOf('\x1b[Bj\r')).toEqual(['\x1b[B', 'j', '\r']);
    expect(applyKey('\x1b[A', state, progress)).toBe('ignore');
    expect(applyKey('\x1b[B', state, progress)).toBe('redraw');
    expect(applyKey('j', state, progress)).toBe('ignore');
    expect(applyKey('\r', state, progress)).toBe('redraw');
    expect([...state.expanded]).toEqual(['b']);
    expect(applyKey('\r', state, progress)).toBe('redraw');
    expect(state.expanded.size).toBe(0);
    expect(applyKey('q', state, progress)).toBe('quit');
  });
});
