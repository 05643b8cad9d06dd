/**
 * Fixture ledgers of N realistic beads, built fast: bead objects are generated from a seed, encoded
 * with the real codec, and written as one commit with `git fast-import`; then a few commands through
 * gt itself give the ledger a realistic recent history (writes, an agent branch, a merge).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bead, BeadStatus, Comment, Dep } from '../beads/bead.js';
import { encodeBead } from '../beads/bead-codec.js';
import { generateId } from '../beads/ids.js';
import { FastImport, git, initRepo } from './git-tools.js';
import { CHILD_ENV, GT_MAIN } from './measure.js';
import { Rng } from './prng.js';
import { entityPath, storedPath } from '../ledger/layout.js';

/** Bump when the generated data changes: old cached fixtures are then rebuilt. */
/** 2: beads stored in shards (ledger schema 2). 3: beads carry the bookkeeping gt writes (seen, writes). */
export const LEDGER_FIXTURE_VERSION = 3;
export const LEDGER_CONFIG_TEXT = 'schema: 2\nprefix: bench\n';

export interface FixtureMeta {
  size: number;
  /** Every bead id on the ledger, oldest first. */
  ids: string[];
  /** A bead with dependencies, dependents and comments: what `gt show` is timed on. */
  showId: string;
  /** Open non-epic beads with priority ≠ 1: one per `gt update -p 1` run. */
  updateIds: string[];
  /** Open non-epic beads nobody depends on as a parent, disjoint from updateIds: one per `gt close` run. */
  closeIds: string[];
  /** A bead whose priority is nudged (untimed) to move the ledger tip before a "new tip" read. */
  bumpId: string;
  buildMs: number;
}

export interface Fixture {
  dir: string;
  repo: string;
  meta: FixtureMeta;
}

const LABELS = [
  'backend', 'frontend', 'api', 'db', 'auth', 'ui', 'perf', 'security', 'docs', 'tests',
  'infra', 'ci', 'billing', 'search', 'mobile', 'i18n', 'tech-debt', 'urgent', 'customer', 'flaky',
];
const AGENTS = ['alice', 'bob', 'carol', 'dave', 'polecat-1', 'polecat-2', 'polecat-3', 'witness', 'refinery'];
const VERBS = ['Fix', 'Add', 'Remove', 'Refactor', 'Speed up', 'Document', 'Test', 'Migrate', 'Harden', 'Split', 'Rename', 'Investigate'];
const NOUNS = [
  'login flow', 'session store', 'order export', 'search index', 'billing webhook', 'user settings page', 'rate limiter',
  'cache layer', 'CSV import', 'email templates', 'audit log', 'feature flags', 'retry policy', 'thumbnail service',
  'payment gateway', 'admin dashboard', 'sync worker', 'schema migration', 'API pagination', 'error reporting',
];
const QUALIFIERS = ['on Safari', 'under load', 'for large accounts', 'after deploy', 'in staging', 'for EU users', 'with SSO', 'on retry', '', '', ''];
const SENTENCES = [
  'Users report intermittent failures when the request takes longer than thirty seconds.',
  'The current implementation reads the whole table into memory before filtering.',
  'We should keep the old endpoint working until the mobile clients have migrated.',
  'Reproduce with the seed data from the staging snapshot of last week.',
  'See the incident review for the timeline and the graphs.',
  'Acceptance is a green run of the integration suite and a note in the changelog.',
  'The fix probably belongs in the shared middleware rather than in each handler.',
  'Check the error budget before rolling this out to all regions.',
  'Pair with the owner of the billing service before changing the contract.',
  'Measure before and after; attach the numbers to this bead.',
  'This blocks the quarterly release if it is not done by the freeze.',
  'Edge case: empty input, unicode names like Zoë and Łukasz, and very long lines.',
];
const COMMENTS = [
  'Picked this up, looking at the logs now.',
  'Could not reproduce locally; need access to staging.',
  'Root cause found: the retry loop never backs off.',
  'PR is up, waiting for review.',
  'Moved the priority up after talking to support.',
  'Done on my side; someone should double-check the migration.',
  'Blocked on the schema change landing first.',
];

const DAY = 86_400_000;
const BASE_TIME = Date.UTC(2025, 0, 6, 9, 0, 0);

function pickStatus(rng: Rng): BeadStatus {
  if (rng.chance(0.3)) return 'closed';
  const r = rng.next();
  return r < 0.75 ? 'open' : r < 0.9 ? 'in_progress' : r < 0.95 ? 'blocked' : 'deferred';
}

function pickPriority(rng: Rng): number {
  const r = rng.next();
  return r < 0.05 ? 0 : r < 0.25 ? 1 : r < 0.7 ? 2 : r < 0.9 ? 3 : 4;
}

function lines(rng: Rng, count: number): string {
  return Array.from({ length: count }, () => rng.pick(SENTENCES)).join('\n');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A writer as gt names one in a file's bookkeeping: `<actor>.<replica>`, one replica per actor. */
function writerOf(actor: string): string {
  return `${actor}.r${actor.length.toString(36)}x7k2`;
}

/** N beads, oldest first, as a real team's ledger would hold them after a year. */
export function generateBeads(size: number, seed: number): Bead[] {
  const rng = new Rng(seed);
  const taken = new Set<string>();
  const beads: Bead[] = [];
  const epics: number[] = [];
  const span = 365 * DAY;
  for (let i = 0; i < size; i++) {
    const id = generateId('bench', taken);
    taken.add(id);
    const created = BASE_TIME + Math.floor((i / size) * span) + rng.int(0, 3_600_000);
    const isEpic = rng.chance(0.05);
    const type = isEpic ? 'epic' : rng.pick(['task', 'task', 'task', 'task', 'bug', 'bug', 'feature', 'feature', 'chore', 'decision']);
    const status = pickStatus(rng);
    const updated = created + rng.int(0, 30 * DAY);
    const deps: Dep[] = [];
    if (i > 0 && rng.chance(0.3)) {
      // Blocks: mostly recent older work, sometimes something from long ago.
      for (let k = rng.int(1, 2); k > 0; k--) {
        const j = rng.chance(0.8) ? Math.max(0, i - rng.int(1, 200)) : rng.int(0, i - 1);
        deps.push({ type: 'blocks', id: beads[j]!.id });
      }
    }
    if (!isEpic && epics.length > 0 && rng.chance(0.25)) {
      const recent = epics.slice(-20);
      deps.push({ type: 'parent-child', id: beads[rng.pick(recent)]!.id });
    }
    if (rng.chance(0.03) && i > 0) deps.push({ type: 'related', id: beads[rng.int(0, i - 1)]!.id });
    const comments: Comment[] = [];
    if (rng.chance(0.15)) {
      for (let k = rng.int(1, 3); k > 0; k--) {
        comments.push({
          id: `c-${rng.hex(16)}`,
          author: rng.pick(AGENTS),
          at: iso(created + rng.int(0, Math.max(1, updated - created))),
          text: rng.pick(COMMENTS),
        });
      }
    }
    const assignee = status === 'in_progress' || (status === 'closed' && rng.chance(0.7)) || rng.chance(0.1) ? rng.pick(AGENTS) : undefined;
    const bead: Bead = {
      id,
      title: `${rng.pick(VERBS)} ${rng.pick(NOUNS)} ${rng.pick(QUALIFIERS)}`.trim(),
      type,
      status,
      priority: pickPriority(rng),
      labels: rng.sample(LABELS, rng.pick([0, 1, 1, 2, 2, 3])),
      description: lines(rng, rng.int(1, 5)),
      deps,
      comments,
      created_at: iso(created),
      created_by: rng.chance(0.6) ? 'overseer' : rng.pick(AGENTS),
      updated_at: iso(updated),
    };
    if (assignee) bead.assignee = assignee;
    if (rng.chance(0.2)) bead.acceptance = lines(rng, rng.int(1, 2));
    if (rng.chance(0.1)) bead.notes = lines(rng, rng.int(1, 3));
    if (rng.chance(0.05)) bead.external_ref = `gh-${rng.int(100, 9999)}`;
    if (status === 'closed') {
      bead.closed_at = bead.updated_at;
      if (rng.chance(0.5)) bead.close_reason = rng.pick(['done', 'fixed in main', 'duplicate', 'will not do', 'shipped']);
    }
    if (updated > created && rng.chance(0.3)) bead.edited = { description: bead.updated_at };
    // What gt's own writes leave in every file (ledger/merge/causal.ts): the latest write of each
    // writer the bead reflects, and who wrote each field changed since the bead was made.
    const creator = writerOf(bead.created_by);
    bead.seen = { [creator]: created };
    if (updated > created) {
      const editor = writerOf(assignee ?? rng.pick(AGENTS));
      bead.seen[editor] = updated;
      bead.writes = { status: `${editor}@${updated}`, ...(bead.edited ? { description: `${editor}@${updated}` } : {}) };
    }
    if (isEpic) epics.push(i);
    beads.push(bead);
  }
  return beads;
}

function gtSync(args: string[], cwd: string): string {
  return execFileSync(process.execPath, [GT_MAIN, ...args], { cwd, env: CHILD_ENV, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

function chooseTargets(beads: Bead[]): Omit<FixtureMeta, 'size' | 'ids' | 'buildMs'> {
  const parents = new Set<string>();
  const dependedOn = new Map<string, number>();
  for (const b of beads) {
    for (const d of b.deps) {
      if (d.type === 'parent-child') parents.add(d.id);
      dependedOn.set(d.id, (dependedOn.get(d.id) ?? 0) + 1);
    }
  }
  const open = beads.filter((b) => b.status === 'open' && b.type !== 'epic' && !parents.has(b.id));
  // Spread the targets over the whole ledger (old and new beads), deterministic.
  const stride = Math.max(1, Math.floor(open.length / 120));
  const spread = open.filter((_, i) => i % stride === 0);
  const updateIds = spread.filter((b) => b.priority !== 1).slice(0, 50).map((b) => b.id);
  const used = new Set(updateIds);
  const closeIds = spread.filter((b) => !used.has(b.id)).slice(0, 50).map((b) => b.id);
  for (const id of closeIds) used.add(id);
  const bumpId = spread.find((b) => !used.has(b.id))!.id;
  const show =
    beads.find((b) => b.deps.length >= 2 && b.comments.length >= 2 && (dependedOn.get(b.id) ?? 0) >= 1) ??
    beads.find((b) => b.deps.length >= 1) ??
    beads[0]!;
  return { showId: show.id, updateIds, closeIds, bumpId };
}

/** Writes gt.yaml and every bead as the single first commit of gt/ledger, beside a tiny `main`. */
async function importLedger(repo: string, beads: Bead[]): Promise<void> {
  const fi = new FastImport(repo);
  const t0 = Math.floor(BASE_TIME / 1000) - 86_400;
  await fi.commit('refs/heads/main', 'Bench <bench@example.com>', t0, 'initial commit\n');
  await fi.file('README.md', '# bench\n\nA repository whose gt ledger is a benchmark fixture.\n');
  await fi.commit('refs/heads/gt/ledger', 'overseer <overseer@gt.local>', t0 + 3600, `import ${beads.length} beads (benchmark fixture)\n`);
  await fi.file('gt.yaml', LEDGER_CONFIG_TEXT);
  let batch = '';
  for (const bead of beads) {
    const text = Buffer.from(encodeBead(bead), 'utf8');
    batch += `M 100644 inline ${storedPath(entityPath('beads', bead.id))}\ndata ${text.length}\n${text.toString('utf8')}\n`;
    if (batch.length > 256 * 1024) {
      await fi.write(batch);
      batch = '';
    }
  }
  await fi.write(batch);
  await fi.finish();
}

/** A handful of ordinary gt commands on top of the import: the recent history a live ledger has. */
function addGtHistory(repo: string, beads: Bead[], meta: ReturnType<typeof chooseTargets>): void {
  const reserved = new Set([...meta.updateIds, ...meta.closeIds, meta.bumpId, meta.showId]);
  const free = beads.filter((b) => b.status === 'open' && b.type !== 'epic' && !reserved.has(b.id));
  const created = JSON.parse(gtSync(['create', 'Track benchmark regressions', '-t', 'chore', '-p', '1', '-l', 'perf', '--json'], repo)) as { id: string };
  gtSync(['update', created.id, '--append-notes', 'Run npm run bench before each release.'], repo);
  gtSync(['update', free[0]!.id, '-p', '0', '--add-label', 'urgent'], repo);
  gtSync(['close', free[1]!.id, '-r', 'done'], repo);
  // Only an unassigned bead can be claimed.
  const claimed = free.slice(2).find((b) => b.assignee === undefined && b !== free[3])!;
  gtSync(['--as', 'polecat-1', 'update', claimed.id, '--claim'], repo);
  gtSync(['--as', 'polecat-1', 'comment', 'add', claimed.id, 'Starting on this now.'], repo);
  gtSync(['--as', 'polecat-2', 'update', free[3]!.id, '-d', 'Rewritten description after triage.'], repo);
  gtSync(['merge'], repo);
}

function fixtureDir(root: string, size: number): string {
  return join(root, `ledger-${size}-v${LEDGER_FIXTURE_VERSION}`);
}

/** The cached fixture of `size` beads, building it first when missing. */
export async function ledgerFixture(root: string, size: number, log: (line: string) => void): Promise<Fixture> {
  const dir = fixtureDir(root, size);
  const repo = join(dir, 'repo');
  const metaPath = join(dir, 'meta.json');
  if (existsSync(join(dir, 'done')) && existsSync(metaPath)) {
    return { dir, repo, meta: JSON.parse(readFileSync(metaPath, 'utf8')) as FixtureMeta };
  }
  const started = Date.now();
  log(`building fixture ledger of ${size.toLocaleString('en-US')} beads in ${dir} ...`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  initRepo(repo);
  const beads = generateBeads(size, 0x5eed + size);
  await importLedger(repo, beads);
  git(['symbolic-ref', 'HEAD', 'refs/heads/main'], repo);
  git(['reset', '-q', '--hard', 'main'], repo);
  const targets = chooseTargets(beads);
  addGtHistory(repo, beads, targets);
  // Everything in one pack, as in a repository that has seen `git gc`: the big repository gets the
  // same treatment, so the two differ only in how much else the object store holds.
  git(['gc', '--quiet'], repo);
  const ids = gtSync(['list', '--all', '--json'], repo);
  const meta: FixtureMeta = {
    size,
    ids: (JSON.parse(ids) as { id: string }[]).map((b) => b.id),
    ...targets,
    buildMs: Date.now() - started,
  };
  writeFileSync(metaPath, `${JSON.stringify(meta)}\n`);
  writeFileSync(join(dir, 'done'), `${new Date().toISOString()}\n`);
  log(`  built in ${(meta.buildMs / 1000).toFixed(1)} s`);
  return { dir, repo, meta };
}
