/**
 * Three clones of one remote, each writing, observing and syncing in a random order: after a final
 * round of syncs every clone holds the very same ledger commit, nothing written is lost, every
 * complete convoy has landed, and each landing sent its mail once.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeTempDir, runGt } from '../helpers/repo.js';
import { bareRemote, cloneOf, gitIn as git, gtIn as gt, gtJsonIn as json } from '../helpers/clones.js';
import { sized } from '../helpers/stress.js';

const NUM_RUNS = Number(process.env.GT_PROPERTY_RUNS) || sized(1, 10);
const CLONES = 3;

type Step =
  | { k: 'create'; clone: number; convoy: boolean }
  | { k: 'close'; clone: number; pick: number }
  | { k: 'priority'; clone: number; pick: number; p: number }
  | { k: 'comment'; clone: number; pick: number }
  | { k: 'observe'; clone: number }
  | { k: 'sync'; clone: number };

const clone = fc.nat({ max: CLONES - 1 });
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant('create' as const), clone, convoy: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('close' as const), clone, pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('priority' as const), clone, pick: fc.nat(), p: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('comment' as const), clone, pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('observe' as const), clone }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('sync' as const), clone }) },
);

interface BeadJson {
  id: string;
  status: string;
  comments?: { text: string }[];
}
interface ConvoyJson {
  id: string;
  status: string;
  tracked: { id: string; status: string }[];
}
interface MailJson {
  id: string;
  subject: string;
  effect?: string;
}

const stats = { runs: 0, steps: 0, landings: 0 };

async function scenario(steps: Step[]): Promise<void> {
  const root = makeTempDir('gt-clones-');
  try {
    const remote = bareRemote(root);
    const dirs = [cloneOf(root, remote, 'c0')];
    gt(dirs[0]!, 'init', '--prefix', 'gt');
    const seeded = [json<{ id: string }>(dirs[0]!, 'create', 'seed 0').id, json<{ id: string }>(dirs[0]!, 'create', 'seed 1').id];
    const convoy = json<{ id: string }>(dirs[0]!, 'convoy', 'create', 'Wave', ...seeded).id;
    gt(dirs[0]!, 'sync');
    for (let i = 1; i < CLONES; i++) {
      const dir = cloneOf(root, remote, `c${i}`);
      gt(dir, 'init');
      dirs.push(dir);
    }
    // What each clone knows of, and everything written anywhere (nothing may be lost).
    const known = dirs.map(() => [...seeded]);
    const created: string[] = [...seeded];
    const comments: { bead: string; text: string }[] = [];
    let n = 0;
    for (const step of steps) {
      const dir = dirs[step.clone]!;
      const mine = known[step.clone]!;
      const pick = (i: number): string => mine[i % mine.length]!;
      n++;
      switch (step.k) {
        case 'create': {
          const id = json<{ id: string }>(dir, 'create', `work ${n}`).id;
          if (step.convoy) gt(dir, 'convoy', 'add', convoy, id);
          mine.push(id);
          created.push(id);
          break;
        }
        case 'close':
          runGt(['close', pick(step.pick)], dir);
          break;
        case 'priority':
          gt(dir, 'update', pick(step.pick), '-p', String(step.p));
          break;
        case 'comment': {
          const text = `note ${n}`;
          const bead = pick(step.pick);
          gt(dir, 'comment', 'add', bead, text);
          comments.push({ bead, text });
          break;
        }
        case 'observe':
          gt(dir, 'observe');
          break;
        case 'sync':
          gt(dir, 'sync');
          known[step.clone] = json<{ id: string }[]>(dir, 'list', '--all').map((b) => b.id);
          break;
      }
      stats.steps++;
    }
    // The final round: everyone syncs and observes (landing what only the merged ledger shows
    // complete), syncs again to carry that to the remote, and the first two once more to catch up.
    for (const dir of dirs) {
      gt(dir, 'sync');
      gt(dir, 'observe', '--sweep');
    }
    for (const dir of dirs) gt(dir, 'sync');
    for (const dir of dirs.slice(0, -1)) gt(dir, 'sync');
    const tip = git(remote, 'rev-parse', 'gt/ledger').trim();
    for (const dir of dirs) expect(git(dir, 'rev-parse', 'gt/ledger').trim()).toBe(tip);

    const final = dirs[0]!;
    const beads = new Map(json<BeadJson[]>(final, 'list', '--all').map((b) => [b.id, b]));
    for (const id of created) expect(beads.has(id), `bead ${id} lost`).toBe(true);
    for (const { bead, text } of comments) {
      const shown = json<BeadJson[]>(final, 'show', bead)[0]!;
      expect((shown.comments ?? []).map((c) => c.text), `comment on ${bead} lost`).toContain(text);
    }
    const status = json<ConvoyJson>(final, 'convoy', 'status', convoy);
    const complete = status.tracked.every((t) => t.status === 'closed');
    expect(status.status).toBe(complete ? 'closed' : 'open');
    const landingMails = json<MailJson[]>(final, 'mail', 'inbox').filter((m) => m.subject.startsWith('🚚'));
    // One mail per landing episode, whichever clones landed it: each names its episode, and no episode twice.
    const episodes = landingMails.map((m) => m.effect);
    expect(episodes.every((e) => e !== undefined && e.startsWith(`landing:${convoy}:`))).toBe(true);
    expect(new Set(episodes).size).toBe(landingMails.length);
    if (complete) expect(landingMails.length).toBeGreaterThan(0);
    stats.landings += landingMails.length;
    expect(gt(final, 'doctor')).toContain('ledger is healthy');
    stats.runs++;
  } finally {
    execFileSync('rm', ['-rf', root]);
  }
}

describe('three clones syncing through one remote', () => {
  it(`converge to one ledger, lose nothing, land once (${NUM_RUNS} scenarios)`, async () => {
    // Each scenario costs seconds of real processes: a failure is reported as found, not shrunk.
    await fc.assert(fc.asyncProperty(fc.array(stepArb, { minLength: 6, maxLength: 14 }), scenario), { numRuns: NUM_RUNS, endOnFailure: true });
    console.log(`clones property: ${stats.runs} scenarios, ${stats.steps} steps, ${stats.landings} landing mails`);
  });
});
