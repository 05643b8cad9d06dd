import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gtRepo, type TestRepo } from '../helpers/repo.js';

/**
 * Every option that takes a value, given a bad one: a usage error (exit 2) on one stderr line that
 * names the option and the value, never "internal error" or a stack trace, and nothing written.
 */

let r: TestRepo;
let bead: string;
beforeAll(() => {
  r = gtRepo();
  bead = r.gtJson<{ id: string }>('create', 'Existing').id;
});
afterAll(() => r.cleanup());

const cases: [string, () => string[], string][] = [
  ['list --limit abc', () => ['list', '--limit', 'abc'], "--limit takes a whole number (0 or more), not 'abc'"],
  ['list --limit -1', () => ['list', '--limit', '-1'], "--limit takes a whole number (0 or more), not '-1'"],
  ['list -n 1.5', () => ['list', '-n', '1.5'], "not '1.5'"],
  ['ready --limit x', () => ['ready', '--limit', 'x'], "--limit takes a whole number (0 or more), not 'x'"],
  ['list --status', () => ['list', '--status', 'open,bogus'], "--status: invalid status 'bogus'"],
  ['list --type', () => ['list', '--type', 'story'], "--type: invalid type 'story'"],
  ['list --priority', () => ['list', '--priority', '9'], "--priority: invalid priority '9'"],
  ['list --sort', () => ['list', '--sort', 'weight'], "--sort: cannot sort by 'weight'"],
  ['list --label', () => ['list', '--label', 'two words'], "--label: invalid label 'two words'"],
  ['list --assignee', () => ['list', '--assignee', 'Bad Name!'], "--assignee: invalid address 'Bad Name!'"],
  ['create -p', () => ['create', 'x', '-p', 'high'], "--priority: invalid priority 'high'"],
  ['create -t', () => ['create', 'x', '-t', 'story'], "--type: invalid type 'story'"],
  ['create -s', () => ['create', 'x', '-s', 'done'], "--status: invalid status 'done'"],
  ['create --deps type', () => ['create', 'x', '--deps', 'needs:gt-1'], "--deps: invalid dependency type 'needs'"],
  ['create --deps id', () => ['create', 'x', '--deps', 'blocks:'], "--deps: dependency 'blocks:' names no bead"],
  ['create -a', () => ['create', 'x', '-a', 'a b'], "--assignee: invalid address 'a b'"],
  ['update -p', () => ['update', bead, '-p', '-1'], "--priority: invalid priority '-1'"],
  ['update -s', () => ['update', bead, '-s', 'bogus'], "--status: invalid status 'bogus'"],
  ['update -t', () => ['update', bead, '-t', 'story'], "--type: invalid type 'story'"],
  ['update --add-label', () => ['update', bead, '--add-label', 'ok,not ok'], "--add-label: invalid label 'not ok'"],
  ['dep add --type', () => ['dep', 'add', bead, bead, '--type', 'needs'], "--type: invalid dependency type 'needs'"],
  ['dep remove --type', () => ['dep', 'remove', bead, bead, '--type', 'needs'], "--type: invalid dependency type 'needs'"],
  ['convoy create --notify', () => ['convoy', 'create', 'X', '--notify', 'Bad Name!'], "--notify: invalid address 'Bad Name!'"],
  ['convoy create --feed', () => ['convoy', 'create', 'X', '--feed', 'a,b c'], "--feed: invalid address 'b c'"],
  ['convoy create --owner', () => ['convoy', 'create', 'X', '--owner', 'x y'], "--owner: invalid address 'x y'"],
  ['convoy list --status', () => ['convoy', 'list', '--status', 'landed'], "--status: invalid convoy status 'landed'"],
  ['convoy sling --to', () => ['convoy', 'sling', 'X', '--task', 'a', '--to', 'x y'], "--to: invalid address 'x y'"],
  ['watch --debounce', () => ['watch', '--debounce', 'soon'], "--debounce takes a number of seconds above 0, not 'soon'"],
  ['watch --sweep-every', () => ['watch', '--sweep-every', '0'], "--sweep-every takes a number of seconds above 0, not '0'"],
  ['status --debounce', () => ['status', '--watch', '--debounce', '-1'], "--debounce takes a number of seconds above 0, not '-1'"],
  ['status --debounce without --watch', () => ['status', '--debounce', '1'], '--debounce goes with --watch: add --watch, or leave --debounce out'],
  ['dashboard --port', () => ['dashboard', '--port', '70000'], "--port takes a port number from 0 to 65535 (0: any free port), not '70000'"],
  ['export --format', () => ['export', '--format', 'xml'], "--format: invalid format 'xml'"],
  ['import --format', () => ['import', '-', '--format', 'csv'], "--format: invalid format 'csv'"],
  ['agents add --role', () => ['agents', 'add', 'zed', '--role', 'king'], "--role: invalid role 'king'"],
  ['init --prefix', () => ['init', '--prefix', 'Web1'], "--prefix: invalid prefix 'Web1'"],
  ['cook --var', () => ['cook', 'feature', '--var', 'oops'], "--var takes name=value, not 'oops'"],
  ['mol pour --var', () => ['mol', 'pour', 'feature', '--var', '1x=2'], "--var takes name=value, not '1x=2'"],
  ['mol wisp --assignee', () => ['mol', 'wisp', 'feature', '--var', 'feature=x', '--assignee', 'a b'], "--assignee: invalid address 'a b'"],
  ['sling --var', () => ['sling', bead, 'ann', '--formula', 'feature', '--var', '=x'], "--var takes name=value, not '=x'"],
  ['formula run --to', () => ['formula', 'run', 'parallel-review', '--to', 'x y'], "--to: invalid address 'x y'"],
];

describe('a bad option value is a one-line usage error', () => {
  it.each(cases)('%s', (_name, args, message) => {
    const before = r.git('for-each-ref', '--format=%(refname) %(objectname)');
    const out = r.gt(args());
    expect(out.status, out.stderr).toBe(2);
    expect(out.stderr).not.toContain('internal error');
    expect(out.stderr).not.toContain('    at ');
    expect(out.stderr.endsWith('\n')).toBe(true);
    const lines = out.stderr.slice(0, -1).split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gt: /);
    expect(lines[0]).toContain(message);
    expect(r.git('for-each-ref', '--format=%(refname) %(objectname)')).toBe(before);
  });
});
