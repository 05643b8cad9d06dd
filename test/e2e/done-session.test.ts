import { describe, expect, it } from 'vitest';
import { useGtRepo } from '../helpers/repo.js';

// In a polecat session the observer can close the session's bead from its `Closes:` commit (run by
// another polecat's gt done) and feed the hook the next bead before this session's own `gt done`:
// that bead belongs to the next session and must not be closed unworked.
const r = useGtRepo();

const create = (title: string): string => r.gtJson<{ id: string }>('create', title).id;
const statusOf = (id: string): string => r.gtJson<{ status: string }[]>('show', id)[0]!.status;
const doneAs = (agent: string, bead: string) => r.gt(['done'], { env: { GT_AGENT: agent, GT_BEAD: bead } });

describe('gt done in a polecat session (GT_BEAD set)', () => {
  it("finishes only the session's bead; one closed already finishes nothing, and the bead fed meanwhile stays hooked", () => {
    const [first, fed] = [create('First'), create('Fed meanwhile')];
    r.gtOk('sling', first, 'nux', '--create-agent');
    // What an observer pass does on nux's `Closes: first` commit: close it, feed nux the next bead.
    r.gtOk('close', first);
    r.gtOk('sling', fed, 'nux');
    const done = doneAs('nux', first);
    expect(done.status).toBe(0);
    expect(done.stdout).toContain(`✓ ${first} was closed already (by its Closes: commit)`);
    expect(statusOf(fed)).toBe('hooked');

    // The next session, for the fed bead, closes it.
    const next = doneAs('nux', fed);
    expect(next.status).toBe(0);
    expect(next.stdout).toContain(`✓ closed ${fed}: Fed meanwhile`);
    expect(statusOf(fed)).toBe('closed');
  });

  it('without GT_BEAD closes everything on the hook, as before', () => {
    const id = create('Plain');
    r.gtOk('sling', id, 'ann', '--create-agent');
    const done = r.gt(['done'], { env: { GT_AGENT: 'ann' } });
    expect(done.status).toBe(0);
    expect(statusOf(id)).toBe('closed');
  });
});
