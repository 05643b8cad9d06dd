import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { openLedger } from '../../src/kinds.js';
import { addDependency, closeBead, createBead, removeDependency, reopenBead, setStatus, updateBead } from '../../src/beads/bead-service.js';
import { agentsWithWork, hookedOn } from '../../src/agents/hook.js';
import { blockedBeads, readyBeads } from '../../src/beads/readiness.js';
import { dependentsOf } from '../../src/beads/queries.js';
import type { Bead } from '../../src/beads/bead.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { gtRepo, type TestRepo } from '../helpers/repo.js';

/**
 * Readiness and dependents are kept per ledger tree and carried from one tree to the next by redoing
 * what changed (ledger/derived.ts). Whatever the sequence of changes, what a view answers from them
 * must equal what is worked out from every bead.
 */
type Op =
  | { kind: 'create'; parent: number | undefined; blocks: number | undefined }
  | { kind: 'close' | 'reopen'; bead: number }
  | { kind: 'status'; bead: number; status: 'open' | 'in_progress' | 'blocked' | 'deferred' }
  | { kind: 'dep'; from: number; to: number; type: 'blocks' | 'parent-child' }
  | { kind: 'undep'; from: number; to: number }
  | { kind: 'assign'; bead: number; agent: string; status: 'hooked' | 'in_progress' | 'open' }
  | { kind: 'read' };

const index = fc.nat(40);
const change: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), parent: fc.option(index, { nil: undefined }), blocks: fc.option(index, { nil: undefined }) }),
  fc.record({ kind: fc.constantFrom('close' as const, 'reopen' as const), bead: index }),
  fc.record({ kind: fc.constant('status' as const), bead: index, status: fc.constantFrom('open' as const, 'in_progress' as const, 'blocked' as const, 'deferred' as const) }),
  fc.record({ kind: fc.constant('dep' as const), from: index, to: index, type: fc.constantFrom('blocks' as const, 'parent-child' as const) }),
  fc.record({ kind: fc.constant('undep' as const), from: index, to: index }),
  fc.record({ kind: fc.constant('assign' as const), bead: index, agent: fc.constantFrom('', 'nux', 'slit'), status: fc.constantFrom('hooked' as const, 'in_progress' as const, 'open' as const) }),
  fc.constant({ kind: 'read' as const }),
);
/** A change, and whether the answers are read right after it (else the next read carries several changes at once). */
const op = fc.tuple(change, fc.boolean());

/** What the answers look like when worked out from a plain map of every bead (no kept index). */
function fromScratch(beads: Bead[]): unknown {
  const all = new Map(beads.map((b) => [b.id, b]));
  return {
    ready: readyBeads(all).map((b) => b.id),
    blocked: blockedBeads(all).map((b) => [b.bead.id, b.blockers]),
    dependents: beads.map((b) => [b.id, [...beads].filter((x) => x.deps.some((d) => d.id === b.id)).map((x) => x.id).sort()]),
    hooks: [...agentsWithWork(all)].sort().map((agent) => [agent, hookedOn(all, agent).map((b) => b.id)]),
  };
}

async function answers(ledger: Ledger): Promise<unknown> {
  const view = await ledger.view();
  const beads = [...view.beads.values()];
  return {
    ready: readyBeads(view.beads).map((b) => b.id),
    blocked: blockedBeads(view.beads).map((b) => [b.bead.id, b.blockers]),
    dependents: beads.map((b) => [b.id, [...new Set(dependentsOf(view, b.id).map((d) => d.id))].sort()]),
    hooks: [...agentsWithWork(view.beads)].sort().map((agent) => [agent, hookedOn(view.beads, agent).map((b) => b.id)]),
  };
}

describe('readiness, dependents and hooks kept per tree', () => {
  let repo: TestRepo | undefined;
  afterEach(() => repo?.cleanup());

  it('equal what every bead gives, after any sequence of changes, read at any point', async () => {
    repo = gtRepo();
    const dir = repo.dir;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), async (ops) => {
        // Each run starts from no cache, on whatever ledger the previous runs left.
        rmSync(join(dir, '.git', 'gt'), { recursive: true, force: true });
        runs++;
        const ledger = openLedger({ cwd: dir, actor: '' });
        try {
          const pick = (ids: string[], i: number | undefined): string | undefined => (i === undefined || ids.length === 0 ? undefined : ids[i % ids.length]);
          for (const [o, read] of ops) {
            const ids = [...(await ledger.view()).beads.keys()];
            await ledger.write((tx) => {
              const target = pick(ids, 'bead' in o ? o.bead : 'from' in o ? o.from : undefined);
              const other = pick(ids, 'to' in o ? o.to : undefined);
              try {
                if (o.kind === 'create') {
                  const parent = pick(ids, o.parent);
                  const blocks = pick(ids, o.blocks);
                  createBead(tx, {
                    title: `bead ${runs}`,
                    ...(parent !== undefined ? { parent } : {}),
                    deps: blocks !== undefined && blocks !== parent ? [{ type: 'blocks' as const, id: blocks }] : [],
                  });
                } else if (o.kind === 'close' && target) closeBead(tx, target, { force: true });
                else if (o.kind === 'reopen' && target) reopenBead(tx, target);
                else if (o.kind === 'status' && target) setStatus(tx, target, o.status);
                else if (o.kind === 'dep' && target && other) addDependency(tx, target, other, o.type);
                else if (o.kind === 'undep' && target && other) removeDependency(tx, target, other);
                else if (o.kind === 'assign' && target) updateBead(tx, target, { assignee: o.agent, status: o.status });
              } catch {
                // A refused change (a cycle, a second parent, nothing to reopen) changes nothing.
              }
              return { result: undefined, message: `step ${o.kind}` };
            });
            if (read) {
              const view = await ledger.view();
              expect(await answers(ledger)).toEqual(fromScratch([...view.beads.values()]));
            }
          }
          const view = await ledger.view();
          expect(await answers(ledger)).toEqual(fromScratch([...view.beads.values()]));
        } finally {
          ledger.close();
        }
      }),
      { numRuns: process.env.GT_STRESS ? 300 : 30 },
    );
  });
});
