/**
 * One way to validate (src/ledger/validate.ts): every kind's file check reports every problem with
 * its key path (and, for a file, the line of the first one and how many follow), and one time rule
 * (ISO 8601, `timeProblem`) applies to beads, convoys, agents, mail, molecules alike.
 */
import { describe, expect, it } from 'vitest';
import { decodeBead, encodeBead, validateBead } from '../../src/beads/bead-codec.js';
import type { Bead } from '../../src/beads/bead.js';
import { convoyKind, type Convoy } from '../../src/convoys/convoy.js';
import { agentKind, type AgentRecord } from '../../src/agents/agent.js';
import { mailKind, type Mail } from '../../src/mail/mail.js';
import { decodeMolecule, encodeMolecule, moleculeProblems, type Molecule } from '../../src/molecules/molecule.js';
import { checkConfig, decodeConfig } from '../../src/ledger/config-codec.js';
import { parseLedgerYaml } from '../../src/ledger/canonical-yaml.js';
import { formatKeyPath, locate, parseChoice, timeProblem, type Problem } from '../../src/ledger/validate.js';
import { LedgerFileError, UsageError } from '../../src/errors.js';
import { parseDepType, parseStatus } from '../../src/beads/bead-input.js';
import { parseRole } from '../../src/work/hook-service.js';
import { pour, shiny } from './molecule-fixtures.js';
import { sampleBead, thrownBy } from '../helpers/fixtures.js';

const T = '2026-01-31T12:00:00.000Z';

const bead = (): Bead => sampleBead({ title: 'A bead', created_at: T });
const convoy = (): Convoy => ({ id: 'gt-cv-a1', title: 'Release', status: 'open', tracks: ['gt-a1'], created_at: T, created_by: 'alice', updated_at: T });
const agent = (): AgentRecord => ({ id: 'alice', role: 'polecat', state: 'idle', created_at: T, updated_at: T });
const mail = (): Mail => ({ id: 'gt-mail-a1', from: 'alice', to: 'bob', subject: 'Hi', status: 'unread', created_at: T });
const molecule = (): Molecule => pour(shiny());

const paths = (problems: readonly Problem[]) => problems.map((p) => formatKeyPath(p.keyPath));

const fileError = (fn: () => unknown): LedgerFileError => thrownBy(LedgerFileError, fn);

describe('every kind reports every problem with its key path', () => {
  it('convoys', () => {
    const problems = convoyKind.problems({ ...convoy(), status: 'landed', title: 5, colour: 'red', tracks: ['ok', 7], created_at: 'yesterday', created_by: undefined });
    expect(paths(problems).sort()).toEqual(['colour', 'created_at', 'created_by', 'status', 'title', 'tracks[1]'].sort());
    expect(problems.find((p) => p.keyPath[0] === 'status')!.message).toBe("status must be one of open, closed, not 'landed'");
    expect(problems.find((p) => p.keyPath[0] === 'created_by')!.message).toBe('created_by is missing');
  });

  it('agents', () => {
    const problems = agentKind.problems({ ...agent(), id: 'Bad Name', role: 'king', last_activity: 'now', edited: { role: 'then', colour: T } });
    expect(paths(problems)).toEqual(['id', 'role', 'last_activity', 'edited.role', 'edited.colour']);
    expect(problems[0]!.message).toMatch(/^id 'Bad Name' is not valid: it holds whitespace/);
  });

  it('mail', () => {
    const problems = mailKind.problems({ ...mail(), id: 'a/b', from: ['x'], kind: 'shout', status: 'gone', read_at: 12 });
    expect(paths(problems)).toEqual(['id', 'from', 'kind', 'status', 'read_at']);
    // A nudge is mail with kind nudge; no kind is an ordinary message.
    expect(mailKind.problems({ ...mail(), kind: 'nudge' })).toEqual([]);
    expect(mailKind.problems(mail())).toEqual([]);
  });

  it('molecules, down to steps and gates', () => {
    const m = molecule() as unknown as Record<string, unknown>;
    const steps = (m.steps as Record<string, unknown>[]).map((s) => ({ ...s }));
    steps[0] = { ...steps[0], status: 'paused', colour: 'red' };
    steps[1] = { ...steps[1], gate: { timeout: 'soon' }, started_at: 'x' };
    const problems = moleculeProblems({ ...m, formula_version: -1, vars: { '1x': 'a', ok: 3 }, steps });
    expect(paths(problems)).toEqual([
      'formula_version',
      'vars.1x',
      'vars.ok',
      'steps[0].colour',
      'steps[0].status',
      'steps[1].started_at',
      'steps[1].gate.type',
      'steps[1].gate.timeout',
    ]);
    expect(problems[3]!.message).toBe("unknown field 'colour' in a step");
  });

  it('beads', () => {
    const r = validateBead({ ...bead(), status: 'dne', priority: 9, labels: ['a b'], updated_at: 'soon' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(paths(r.problems)).toEqual(['status', 'priority', 'labels[0]', 'updated_at']);
  });

  it('gt.yaml', () => {
    const r = checkConfig({ schema: 1, prefix: 'X', types: ['ok', 'Not OK'], colour: 'red' });
    expect(r.problems && paths(r.problems)).toEqual(['colour', 'prefix', 'types[1]']);
  });

  it('a file names its path, the line of the first problem and how many more there are; locate gives every line', () => {
    const text = convoyKind.encode(convoy()).replace('status: open', 'status: landed').replace(`updated_at: "${T}"`, 'updated_at: later');
    const e = fileError(() => convoyKind.decode(text, 'convoys/gt-cv-a1.yaml'));
    const lines = text.split('\n');
    const lineOf = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix)) + 1;
    expect(e.message).toBe(`convoys/gt-cv-a1.yaml:${lineOf('status:')}: status must be one of open, closed, not 'landed' (and 1 more problem)`);
    const parsed = parseLedgerYaml(text, 'convoys/gt-cv-a1.yaml');
    expect(locate(parsed.lineOf, convoyKind.problems(parsed.value)).map((p) => [formatKeyPath(p.keyPath), p.line])).toEqual([
      ['status', lineOf('status:')],
      ['updated_at', lineOf('updated_at:')],
    ]);
    const m = encodeMolecule(molecule()).replace('status: active', 'status: paused').replace('    status: pending', '    status: later');
    expect(fileError(() => decodeMolecule(m, 'molecules/gt-mol-test.yaml')).problem).toBe("status must be one of active, done, not 'paused' (and 1 more problem)");
    expect(fileError(() => decodeConfig('schema: 1\nprefix: X\ncolour: red\n')).message).toBe(
      "gt.yaml:3: unknown key 'colour' (expected one of schema, prefix, types, settings, settings_edited) (and 1 more problem)",
    );
  });
});

describe('one time rule for every kind', () => {
  const withOffset = '2026-01-31T14:00:00+02:00';
  const times: [string, string | undefined][] = [
    [withOffset, undefined],
    ['2026-01-31T12:00:00Z', undefined],
    ['2026-02-30T00:00:00Z', timeProblem('2026-02-30T00:00:00Z')],
    ['2026-01-31 12:00', timeProblem('2026-01-31 12:00')],
  ];

  it('knows the calendar: leap days, month lengths, hours, minutes and seconds', () => {
    for (const ok of ['2024-02-29T00:00:00Z', '2000-02-29T23:59:59.999Z', '2026-12-31T00:00:00-08:00', '2026-04-30T12:00:00Z']) {
      expect(timeProblem(ok), ok).toBeUndefined();
    }
    for (const bad of ['2026-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-00-10T00:00:00Z', '2026-01-00T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:60:00Z', '2026-01-01T00:00:60Z']) {
      expect(timeProblem(bad), bad).toMatch(/is not an ISO 8601 time/);
    }
  });

  it('accepts and refuses the same times in a bead, convoy, agent, mail or molecule file', () => {
    expect(timeProblem(withOffset)).toBeUndefined();
    for (const [time, problem] of times) {
      const files: [string, string, (text: string, path: string) => unknown][] = [
        ['beads/gt-a1.yaml', encodeBead({ ...bead(), updated_at: T }), decodeBead],
        ['convoys/gt-cv-a1.yaml', convoyKind.encode(convoy()), convoyKind.decode],
        ['agents/alice.yaml', agentKind.encode(agent()), agentKind.decode],
        ['mail/gt-mail-a1.yaml', mailKind.encode(mail()), mailKind.decode],
        ['molecules/gt-mol-test.yaml', encodeMolecule(molecule()), decodeMolecule],
      ];
      for (const [path, good, decode] of files) {
        const field = path.startsWith('mail/') ? 'created_at' : 'updated_at';
        const text = good.replace(new RegExp(`^${field}: .*$`, 'm'), `${field}: "${time}"`);
        expect(text).not.toBe(good);
        if (problem === undefined) {
          expect((decode(text, path) as Record<string, unknown>)[field]).toBe(time);
        } else {
          const e = fileError(() => decode(text, path));
          expect(e.problem, path).toBe(`${field}: ${problem}`);
          expect(e.line).toBe(text.split('\n').findIndex((l) => l.startsWith(`${field}:`)) + 1);
        }
      }
    }
  });
});

describe('values typed by a user', () => {
  it('one parser for a choice: status, dependency type, role', () => {
    expect(parseStatus(' In-Progress ')).toBe('in_progress');
    expect(parseDepType('Parent-Child')).toBe('parent-child');
    expect(parseRole('crew')).toBe('crew');
    for (const [fn, what] of [
      [() => parseStatus('done'), "invalid status 'done'"],
      [() => parseDepType('needs'), "invalid dependency type 'needs'"],
      [() => parseRole('king'), "invalid role 'king'"],
      [() => parseChoice('a\nb', ['x'], 'thing'), "invalid thing 'a\\nb'"],
    ] as const) {
      expect(fn).toThrow(UsageError);
      expect(fn).toThrow(what);
    }
  });
});
