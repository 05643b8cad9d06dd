import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useGtRepo, ledgerFile } from '../helpers/repo.js';

/** A convoy lands in the commit that closes its last bead, whatever command closes it; the observer never lands it again. */

interface ConvoyJson {
  id: string;
  status: string;
  landed_at?: string;
  close_reason?: string;
}
interface MailJson {
  subject: string;
  to: string;
}

const r = useGtRepo();

const create = (title: string): string => r.gtJson<{ id: string }>('create', title).id;
const convoyOf = (id: string): ConvoyJson => r.gtJson<ConvoyJson>('convoy', 'status', id);
const landingsIn = (ref: string, cv: string): string[] => r.git('log', '--format=%s', ref).split('\n').filter((s) => s.includes(`landed ${cv}`));

/** The ledger's last commit changed the convoy's file and added the landing mail. */
function landedInTipCommit(cv: string, ref = 'gt/ledger'): void {
  const files = r.git('show', '--name-status', '--format=', ref).trim().split('\n');
  expect(files).toContain(`M\t${ledgerFile('convoys', cv)}`);
  expect(files.some((f) => f.startsWith('A\tmail/'))).toBe(true);
}

/** `gt observe` afterwards finds nothing to land: one landing commit and one mail in all. */
function observerAddsNothing(cv: string): void {
  const actions = r.gtJson<{ actions: { kind: string }[] }>('observe', '--sweep').actions;
  expect(actions.filter((a) => a.kind === 'landed')).toEqual([]);
  expect(landingsIn('gt/ledger', cv)).toHaveLength(1);
  expect(r.gtJson<MailJson[]>('mail', 'inbox').filter((m) => m.subject.includes(cv))).toHaveLength(1);
}

describe('a convoy lands when its last bead closes, in the same command', () => {
  it('gt close: lands in the closing commit, prints it, mails; the observer does not land it again', () => {
    const a = create('Schema');
    const b = create('API');
    const cv = r.gtJson<{ id: string }>('convoy', 'create', 'Release 1.0', a, b, '--notify', 'mayor').id;
    r.gtOk('observe');
    expect(r.gtOk('close', a)).not.toContain('landed');
    expect(convoyOf(cv).status).toBe('open');
    const out = r.gtOk('close', b, '-r', 'shipped');
    expect(out).toContain(`closed ${b}: API`);
    expect(out).toContain(`🚚 Convoy landed: Release 1.0 (${cv})`);
    expect(convoyOf(cv)).toMatchObject({ status: 'closed', close_reason: 'All tracked beads closed' });
    expect(convoyOf(cv).landed_at).toBeDefined();
    landedInTipCommit(cv);
    expect(r.git('log', '-1', '--format=%s', 'gt/ledger').trim()).toBe(`close ${b}: API; landed ${cv} "Release 1.0" (2 beads)`);
    expect(r.gtJson<MailJson[]>('mail', 'inbox').map((m) => m.subject)).toEqual([`🚚 Convoy landed: Release 1.0 (${cv})`]);
    observerAddsNothing(cv);
    expect(r.gtJson<MailJson[]>('--as', 'mayor', 'mail', 'inbox').map((m) => m.subject)).toEqual([`🚚 Convoy landed: Release 1.0 (${cv})`]);
    expect(r.gtJson<unknown[]>('convoy', 'check')).toEqual([]);
  });

  it('gt update --status closed lands too', () => {
    const a = create('Only');
    const cv = r.gtJson<{ id: string }>('convoy', 'create', 'Solo', a, '--notify', 'mayor').id;
    expect(r.gtOk('update', a, '--status', 'closed')).toContain(`🚚 Convoy landed: Solo (${cv})`);
    landedInTipCommit(cv);
    observerAddsNothing(cv);
  });

  it('gt done as an agent lands in its closing commit, merged once', () => {
    const a = create('Left');
    const cv = r.gtJson<{ id: string }>('convoy', 'create', 'Both', a, '--notify', 'mayor').id;
    r.gtOk('sling', a, 'ann', '--create-agent');
    r.gtOk('observe');
    const out = r.gtOk('--as', 'ann', 'done');
    expect(out).toContain(`🚚 Convoy landed: Both (${cv})`);
    expect(out).not.toContain(`🚚 landed ${cv}`);
    // ann's commit closed the bead and landed the convoy; gt done then merged it into the ledger.
    expect(landingsIn('gt/ledger', cv)).toEqual([`done ${a}: Left; landed ${cv} "Both" (1 bead)`]);
    expect(convoyOf(cv).status).toBe('closed');
    observerAddsNothing(cv);
  });

  it('gt mol step done on the last step lands the convoy tracking the molecule\'s bead', () => {
    mkdirSync(join(r.dir, '.gt', 'formulas'), { recursive: true });
    writeFileSync(join(r.dir, '.gt', 'formulas', 'one.formula.toml'), 'formula = "one"\nversion = 1\n[[steps]]\nid = "only"\ntitle = "Only"\n');
    const a = create('Tiny');
    const slung = r.gtJson<{ convoy: { id: string } }>('sling', a, 'ann', '--formula', 'one', '--create-agent');
    const cv = slung.convoy.id;
    r.gtOk('observe');
    const out = r.gtOk('--as', 'ann', 'mol', 'step', 'done');
    expect(out).toContain(`✓ closed ${a}: Tiny`);
    expect(out).toContain(`🚚 Convoy landed: Work: Tiny (${cv})`);
    r.gtOk('merge');
    expect(convoyOf(cv).status).toBe('closed');
    observerAddsNothing(cv);
  });
});
