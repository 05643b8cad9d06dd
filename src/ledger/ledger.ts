import { basename, dirname } from 'node:path';
import { Repository, type GitBackend } from '../git/repository.js';
import { LedgerIndex } from './index-cache.js';
import { ObjectCache, type FileVersion, type LayoutFacts, type Snapshot } from './snapshot.js';
import { type LedgerTables, type LedgerView, type TableMap, type Tables } from './view.js';
import type { RecordKind } from './record-kind.js';
import type { EntityKind, EntityKinds } from './entity-kind.js';
import { ViewCache } from './view-cache.js';
import { mergeSnapshots } from './merge/tree-merge.js';
import { withMergeNotes } from './merge/merge-notes.js';
import { withWriteLock } from './write-lock.js';
import { ATTRIBUTES_PATH, LEDGER_ATTRIBUTES, writeLedgerAttributes } from './attributes.js';
import { OVERSEER_FALLBACK, resolveActor, signatureOf, withActorTrailers, type Actor } from './actor.js';
import { userIdentity } from '../git/identity.js';
import { remotesTracking, setUpstream, upstreamRemote } from '../git/remote.js';
import { AGENT_REF_PREFIX, CONFIG_PATH, LEDGER_BRANCH, LEDGER_REF, agentRef, dirOf, entityPath, idFromPath, logicalPath } from './layout.js';
import { checkPrefix } from './names.js';
import { LEDGER_SCHEMA_VERSION, type LedgerConfig } from './config.js';
import { encodeConfig } from './config-codec.js';
import { repairConfig } from './config-repair.js';
import { statusField, type EntityTable, type Identified } from './entity-table.js';
import { asciiJson } from './ascii-json.js';
import { RefConflictError, RepositoryError } from '../errors.js';
import { stampWrite, type Causal } from './merge/causal.js';
import { replicaId } from './replica.js';
import { now as clockNow, type Clock } from '../clock.js';

export interface LedgerOptions {
  cwd: string;
  /** Agent name; default GT_AGENT, else the checkout's agent, else the overseer. */
  actor?: string;
  /** A name for gt's own writes (the observer): they go to the ledger, like the overseer's. */
  systemActor?: string;
  backend?: GitBackend;
  /** The kinds of entity the ledger keeps (src/kinds.ts registers gt's). */
  kinds: EntityKinds;
  /** The agent a checkout belongs to, from its git dir, when neither `actor` nor GT_AGENT names one. */
  checkoutAgent?: (gitDir: string) => string | undefined;
  /** The clock for commit times, lock ages and every time-based decision; default src/clock.ts (GT_NOW in tests). */
  now?: Clock;
}

/** Milliseconds after which a lock of a killed process is taken over (GT_LOCK_STALE_MS, at least 2000). */
export function staleLockMs(): number {
  const fromEnv = Number(process.env.GT_LOCK_STALE_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? Math.max(2000, fromEnv) : 5000;
}

/** Where a transaction puts the text of a file it need not hold (see LedgerTransaction.record): git's object store. */
export interface TextStorage {
  /** Stores a file's text, returning its blob id. */
  store(text: string): string;
  /** The text stored under a blob id. */
  read(oid: string): string;
}

/** Changed files a transaction holds as text (see LedgerTransaction.record). */
const HELD_TEXTS = 1000;

/** Files a write may change and still build its head at once; a bigger write leaves it to the next read. */
const EAGER_HEAD_MAX = 1000;

/**
 * The changes one command makes, applied to the state it read; committed as one commit. Besides the
 * methods, it has one table per kind (`tx.beads`): the view's, forked, with the changes applied. A
 * domain names the tables it uses: `Transaction<{ beads: Bead }>`; by default, every table.
 */
export type Transaction<T extends TableMap<T> = LedgerTables> = LedgerTransaction & Tables<T>;

/** A Transaction's methods and fields; its tables are added by the constructor. */
export class LedgerTransaction {
  /** Changed files by path: new content, or null for a file removed. */
  private readonly changes = new Map<string, FileVersion | null>();
  /** The forked tables by directory. */
  private readonly tableMap: Map<string, EntityTable<Identified>>;
  /** Work outside the ledger that must wait for this transaction's outcome (see afterCommit). */
  private readonly effects: (() => void)[] = [];
  config: LedgerConfig;

  constructor(
    readonly view: LedgerView,
    readonly actor: Actor,
    readonly now: string,
    /** Who writes, as the files' `writes` name it: `<actor>.<replica>` (merge/causal.ts). */
    readonly writer: string,
    /** Versions of an entity file on other agents' branches that differ from this view's. */
    readonly pendingElsewhere: (path: string) => Promise<{ agent: string; value: unknown }[]> = async () => [],
    /** Where the files past HELD_TEXTS go as they are put (see record). */
    private readonly storage?: TextStorage,
  ) {
    this.tableMap = new Map([...view.tables].map(([dir, table]) => [dir, table.fork()]));
    for (const [dir, table] of this.tableMap) Object.defineProperty(this, dir, { value: table, enumerable: true });
    this.config = view.config;
  }

  /** A transaction on `view`, with its tables. */
  static of<T extends TableMap<T> = LedgerTables>(
    view: LedgerView,
    actor: Actor,
    now: string,
    writer: string,
    pendingElsewhere?: (path: string) => Promise<{ agent: string; value: unknown }[]>,
    storage?: TextStorage,
  ): Transaction<T> {
    return new LedgerTransaction(view, actor, now, writer, pendingElsewhere, storage) as unknown as Transaction<T>;
  }

  /**
   * Records a changed file. Past HELD_TEXTS changed files, an entity file goes to git as it is put and
   * only its blob id is held, and its table row is read back from git if anything asks for it: an
   * import of 50,000 beads would otherwise hold every file's text, and every row, until the tree is
   * written. A blob written for a transaction that does not land is garbage git prunes.
   */
  private record<T extends { id: string }>(kind: EntityKind<T>, table: EntityTable<T>, path: string, value: T, text: string): void {
    const storage = this.storage;
    if (storage && this.changes.size >= HELD_TEXTS && !this.changes.has(path)) {
      const oid = storage.store(text);
      this.changes.set(path, { oid });
      table.setStored(kind.idOf(value), statusField(value), () => asciiJson(kind.decode(storage.read(oid), path)));
    } else {
      this.changes.set(path, { text, value });
      table.set(value);
    }
  }

  /** `value` with this write recorded in its `seen`/`writes`, for a kind that tracks writes. */
  private stampCausal<T extends { id: string }>(kind: EntityKind<T>, before: T | undefined, value: T): T {
    if (!kind.causalFields) return value;
    return stampWrite(before as (T & Causal) | undefined, value as T & Causal, kind.causalFields, this.writer, Date.parse(this.now));
  }

  /** Writes a record (src/ledger/record-kind.ts), stamping the edit time and the write of every field it changes. */
  put<T extends { id: string }>(kind: RecordKind<T>, value: T): T {
    const table = this.tableOf<T>(kind);
    const before = table.getOnce(value.id);
    const stamped = this.stampCausal(kind, before, kind.touch(before, kind.validate(value), this.now));
    this.record(kind, table, entityPath(kind.dir, stamped.id), stamped, kind.encode(stamped));
    return stamped;
  }

  /**
   * Writes an entity of a kind that keeps its own edit stamps (a bead, a molecule's per-step stamps):
   * validated by its encoder, no edit times added; the write recorded for a kind that tracks writes.
   */
  putEntity<T extends { id: string }>(kind: EntityKind<T>, given: T): T {
    const table = this.tableOf<T>(kind);
    const value = this.stampCausal(kind, table.getOnce(kind.idOf(given)), given);
    this.record(kind, table, entityPath(kind.dir, kind.idOf(value)), value, kind.encode(value));
    return value;
  }

  /** Removes an entity's file (a burned molecule). */
  deleteEntity<T extends { id: string }>(kind: EntityKind<T>, id: string): void {
    this.tableOf<T>(kind).delete(id);
    this.changes.set(entityPath(kind.dir, id), null);
  }

  private tableOf<T extends { id: string }>(kind: { dir: string }): EntityTable<T> {
    const table = this.tableMap.get(kind.dir);
    if (!table) throw new Error(`no table for ${kind.dir}`);
    return table as unknown as EntityTable<T>;
  }

  setConfig(config: LedgerConfig): void {
    this.config = config;
    this.changes.set(CONFIG_PATH, { text: encodeConfig(config), value: config });
  }

  /**
   * Runs `effect` once this transaction has landed (its commit is on the ref, or it had nothing to
   * commit), still under the write lock; never if it fails or is retried. For changes outside the
   * ledger, such as removing a squashed wisp's file, that must not happen unless the commit does:
   * `mutate` may run several times, and only its last run counts.
   */
  afterCommit(effect: () => void): void {
    this.effects.push(effect);
  }

  /** Called by Ledger.write once the transaction has landed. */
  runEffects(): void {
    for (const effect of this.effects.splice(0)) effect();
  }

  get fileChanges(): ReadonlyMap<string, FileVersion | null> {
    return this.changes;
  }
}

export interface TxOutcome<T> {
  result: T;
  /** The commit message: first line says what happened (`create gt-4f2a: Fix login bug`). */
  message: string;
}

interface WriteTarget {
  ref: string;
  expected: string | null;
  parent: string;
  /** The view-cache key of the parent's view, when a plain read would have used one. */
  parentViewKey?: string;
}

/** An agent's view is keyed by both tips: it is the ledger merged with the agent's unmerged work. */
function viewKey(ledgerTip: string, agentTip: string | null): string {
  return agentTip ? `${ledgerTip}-${agentTip}` : ledgerTip;
}

function defaultPrefix(repo: Repository): string {
  const dir = repo.paths.workTree ?? dirname(repo.paths.gitDir);
  const letters = basename(dir).toLowerCase().replace(/[^a-z]/g, '').slice(0, 8);
  return letters.length >= 2 ? letters : 'gt';
}

/**
 * The work ledger of one repository, as one actor sees and changes it. Reads never lock; writes
 * run under the write lock and land with a compare-and-swap of the actor's ref, retried if
 * something else (native git, another machine's push) moved it in between.
 */
export class Ledger {
  readonly repo: Repository;
  readonly actor: Actor;
  /** The kinds of entity this ledger keeps, by directory. */
  readonly kinds: EntityKinds;
  /** This ledger's clock: see src/clock.ts. */
  readonly now: Clock;
  private loadedIndex: LedgerIndex | undefined;
  private objectCache: ObjectCache | undefined;
  private readonly views: ViewCache;
  private readonly liveCommits = new Set<string>();

  private constructor(options: LedgerOptions) {
    this.now = options.now ?? clockNow;
    this.repo = Repository.open(options.cwd, {
      staleLockMs: staleLockMs(),
      now: this.now,
      ...(options.backend ? { backend: options.backend } : {}),
    });
    this.kinds = options.kinds;
    const checkoutAgent = options.checkoutAgent ?? (() => undefined);
    this.actor = options.systemActor
      ? { name: options.systemActor, isOverseer: true }
      : resolveActor(options.actor, () => checkoutAgent(this.repo.paths.gitDir));
    this.views = new ViewCache(this.repo.stateDir, this.kinds, this.now);
  }

  /**
   * What reading views cost this process so far: shard files read from disk, and shards decoded from
   * git. A long-lived process (gt mcp, gt watch) that follows a moving ledger reads only what changed.
   */
  get viewStats(): { readonly filesRead: number; readonly shardsStored: number } {
    return this.views.stats;
  }

  /** This actor on this clone, as the files' `writes` name it (merge/causal.ts). */
  get writer(): string {
    return `${this.actor.name}.${replicaId(this.repo.stateDir)}`;
  }

  /** See LedgerIndex.preferringGit: for merges and observer passes, which need a few files of many commits. */
  preferringGit<T>(fn: () => Promise<T>): Promise<T> {
    return this.index.preferringGit(fn);
  }

  /** Loaded on first use: a read served by the view cache never parses the index. */
  private get index(): LedgerIndex {
    this.loadedIndex ??= LedgerIndex.open(this.repo.stateDir);
    return this.loadedIndex;
  }

  get cache(): ObjectCache {
    this.objectCache ??= new ObjectCache(this.repo, this.index, this.kinds);
    return this.objectCache;
  }

  static open(options: LedgerOptions): Ledger {
    return new Ledger(options);
  }

  ledgerTip(): string | null {
    return this.repo.refs.resolve(LEDGER_REF);
  }

  requireLedgerTip(): string {
    const tip = this.ledgerTip();
    if (!tip) {
      // A clone of a repository that has a ledger: adopt that one, never start a second, unrelated one.
      const remotes = remotesTracking(this.repo.refs.list('refs/remotes/').keys(), LEDGER_BRANCH);
      if (remotes.length > 0) throw new RepositoryError(`this clone has no ${LEDGER_BRANCH} of its own yet, but ${remotes.join(' and ')} ${remotes.length === 1 ? 'has' : 'have'} one`, 'run `gt init` (or `gt sync`) to adopt it');
      throw new RepositoryError('this repository has no gt ledger yet', 'run `gt init` first');
    }
    this.liveCommits.add(tip);
    return tip;
  }

  agentTips(): Map<string, string> {
    return this.repo.refs.list(AGENT_REF_PREFIX);
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
    if (a === b) return a;
    const cached = this.index.mergeBase(a, b);
    if (cached !== undefined) return cached;
    const base = await this.repo.reader.mergeBase(a, b);
    this.index.setMergeBase(a, b, base);
    return base;
  }

  async snapshot(commit: string): Promise<Snapshot> {
    this.liveCommits.add(commit);
    return this.cache.snapshot(commit);
  }

  /** What the actor sees now: the ledger, or for an agent the ledger merged with its unmerged work. */
  async view(): Promise<LedgerView> {
    const ledgerTip = this.requireLedgerTip();
    const agentTip = this.actor.isOverseer ? null : this.repo.refs.resolve(agentRef(this.actor.name));
    const key = viewKey(ledgerTip, agentTip);
    return this.views.get(key) ?? this.preferringGit(async () => {
      const { label, tree } = await this.viewTree(ledgerTip, agentTip);
      return this.views.build(key, label, tree, this.cache.headSource());
    });
  }

  /**
   * The tree an actor's view is of: the ledger's, or the agent's tip when it is ahead, or (an agent
   * with unmerged work behind a ledger that moved) the two merged, written as a tree of its own.
   */
  private async viewTree(ledgerTip: string, agentTip: string | null): Promise<{ label: string; tree: string }> {
    const treeOf = async (commit: string) => ({ label: commit, tree: (await this.cache.commitInfo(commit)).tree });
    if (!agentTip) return treeOf(ledgerTip);
    const base = await this.mergeBase(agentTip, ledgerTip);
    if (base === ledgerTip) return treeOf(agentTip);
    if (base === agentTip) return treeOf(ledgerTip);
    const ours = await this.snapshot(ledgerTip);
    const merged = await mergeSnapshots(this.cache, base ? await this.snapshot(base) : null, ours, await this.snapshot(agentTip));
    return { label: agentTip, tree: merged.changes.size > 0 ? await this.cache.writeTree(ours.tree, merged.changes) : ours.tree };
  }

  /** The ledger as one commit holds it (any commit with a ledger tree: a PR head, `gt/ledger~3`), nothing merged in. */
  async viewAt(commit: string): Promise<LedgerView> {
    return this.viewOfCommit(commit, commit);
  }

  /** The view of one commit's ledger tree, cached under `key`. */
  private async viewOfCommit(key: string, commit: string): Promise<LedgerView> {
    this.liveCommits.add(commit);
    return this.views.get(key) ?? this.preferringGit(async () => this.views.build(key, commit, (await this.cache.commitInfo(commit)).tree, this.cache.headSource()));
  }

  /** Runs `mutate` on the current state and commits what it changed as one commit. */
  async write<T>(mutate: (tx: Transaction) => Promise<TxOutcome<T>> | TxOutcome<T>): Promise<{ result: T; commit: string | null }> {
    return withWriteLock(this.repo.stateDir, staleLockMs(), async () => {
      for (let attempt = 0; ; attempt++) {
        const ledgerTip = this.requireLedgerTip();
        const target = await this.writeTarget(ledgerTip);
        const parentKey = target.parentViewKey ?? target.parent;
        await this.cache.primeTrees(target.parent);
        const view = await this.viewOfCommit(parentKey, target.parent);
        const parentHead = this.views.headOf(parentKey);
        const parentSnapshot = () => this.snapshot(target.parent);
        const when = new Date(this.now());
        const tx = LedgerTransaction.of(view, this.actor, when.toISOString(), this.writer, (path) => this.pendingElsewhere(path, target.parent), {
          store: (text) => this.repo.writer.write('blob', Buffer.from(text, 'utf8')),
          read: (oid) => this.repo.writer.readBlobBack(oid),
        });
        const { result, message } = await mutate(tx);
        // Unchanged files drop out when the tree is written: an identical tree means nothing to commit.
        const changes = tx.fileChanges;
        // A command that changes nothing moves no ref: not even an agent branch's creation or catch-up.
        if (changes.size === 0) {
          tx.runEffects();
          return { result, commit: null };
        }
        // A ledger (or agent branch) in the old layout moves to the current one with its first write.
        const migration = view.config.schema < LEDGER_SCHEMA_VERSION ? await this.migration(await parentSnapshot(), changes) : undefined;
        if (migration) tx.setConfig(migration.config);
        const parentTree = (await this.cache.commitInfo(target.parent)).tree;
        // A write from a cached view reads the few trees it rewrites from git, not the whole index.
        const tree = await this.preferringGit(() => this.cache.writeTree(parentTree, migration?.changes ?? changes, migration?.remove));
        if (tree === parentTree) {
          tx.runEffects();
          return { result, commit: null };
        }
        const commit = this.commitTree(tree, [target.parent], migration ? `${message}\n\n${migration.note}` : message, when);
        try {
          this.updateRef(target.ref, target.expected, commit, message, when);
          // The next read (and write) starts from here: the head of the new tree, made from the
          // parent's with only the shards this write changed.
          // A write of thousands of files (an import) leaves it to the next read, which reuses the
          // parent's head the same way: building it here would hold every changed file twice.
          const key = this.actor.isOverseer ? commit : viewKey(ledgerTip, commit);
          if (changes.size <= EAGER_HEAD_MAX) await this.preferringGit(() => this.views.build(key, commit, tree, this.cache.headSource(), parentHead));
          tx.runEffects();
          return { result, commit };
        } catch (error) {
          if (error instanceof RefConflictError && attempt < 8) continue;
          throw error;
        }
      }
    });
  }

  /**
   * For a commit gt makes on `base` with `changes`: when `base` is in an older layout (gt.yaml's schema
   * below LEDGER_SCHEMA_VERSION) or holds entity files away from their shard, the changes that also
   * move every such file to its place (same blob) and raise the schema, with a line for the commit
   * message; undefined when there is nothing to move. A base whose gt.yaml cannot be read is left alone.
   */
  async migration(base: LayoutFacts, changes: ReadonlyMap<string, FileVersion | null>): Promise<{ changes: Map<string, FileVersion | null>; remove: string[]; config: LedgerConfig; note: string } | undefined> {
    const configOid = base.files.get(CONFIG_PATH);
    const changedConfig = changes.get(CONFIG_PATH);
    let config: LedgerConfig | undefined;
    if (changedConfig && 'value' in changedConfig) config = changedConfig.value as LedgerConfig;
    else if (changedConfig === undefined && configOid !== undefined) {
      const decoded = await this.cache.decode(CONFIG_PATH, configOid);
      if ('value' in decoded) config = decoded.value as LedgerConfig;
    }
    if (!config || config.schema > LEDGER_SCHEMA_VERSION) return undefined;
    if (config.schema === LEDGER_SCHEMA_VERSION && base.misplaced.size === 0) return undefined;
    const all = new Map(changes);
    const remove: string[] = [];
    for (const [path, stored] of base.misplaced) {
      if (!all.has(path)) all.set(path, { oid: base.files.get(path)! });
      remove.push(stored);
    }
    const raised = config.schema === LEDGER_SCHEMA_VERSION ? config : { ...config, schema: LEDGER_SCHEMA_VERSION };
    if (raised !== config) all.set(CONFIG_PATH, { text: encodeConfig(raised), value: raised });
    const moved = `${base.misplaced.size} entity file${base.misplaced.size === 1 ? '' : 's'} moved to <folder>/<shard>/<id>.yaml`;
    const note = raised !== config ? `Ledger layout: schema ${config.schema} → ${raised.schema}, ${moved}.` : `Ledger layout: ${moved}.`;
    return { changes: all, remove, config: raised, note };
  }

  /**
   * `gt doctor --fix`: moves the ledger to the current layout in a commit of its own when it is in an
   * older one or holds misplaced entity files; returns what it did, or undefined when nothing moved.
   */
  async relayout(): Promise<string | undefined> {
    return withWriteLock(this.repo.stateDir, staleLockMs(), async () => {
      for (let attempt = 0; ; attempt++) {
        const tip = this.requireLedgerTip();
        const snapshot = await this.snapshot(tip);
        const migration = await this.migration(snapshot, new Map());
        if (!migration) return undefined;
        const tree = await this.cache.writeTree(snapshot.tree, migration.changes, migration.remove);
        const when = new Date(this.now());
        const message = `ledger: move to the sharded layout\n\n${migration.note}`;
        const commit = this.commitTree(tree, [tip], message, when);
        try {
          this.updateRef(LEDGER_REF, tip, commit, message.split('\n')[0]!, when);
          return migration.note;
        } catch (error) {
          if (error instanceof RefConflictError && attempt < 8) continue;
          throw error;
        }
      }
    });
  }

  /**
   * The versions of one file on the other agents' branches that differ from the version in `parent`
   * (the commit the write starts from). Run under the write lock, this lets a claim see every local
   * agent's unmerged claims.
   */
  private async pendingElsewhere(path: string, parent: string): Promise<{ agent: string; value: unknown }[]> {
    const found: { agent: string; value: unknown }[] = [];
    // Read only when another agent's branch could differ: with none, a claim costs no snapshot.
    let reference: Snapshot | undefined;
    for (const [ref, tip] of this.agentTips()) {
      const agent = ref.slice(AGENT_REF_PREFIX.length);
      if (agent === this.actor.name || tip === parent) continue;
      reference ??= await this.snapshot(parent);
      const oid = (await this.snapshot(tip)).files.get(path);
      if (oid === undefined || oid === reference.files.get(path)) continue;
      const decoded = await this.cache.decode(path, oid);
      if ('value' in decoded) found.push({ agent, value: decoded.value });
    }
    return found;
  }

  /** The signature of `actor`'s commits: the overseer's asks git who the user is (cached; see git/identity.ts). */
  signature(actor: Actor, when: Date) {
    return signatureOf(actor, when, actor.isOverseer ? userIdentity(this.repo.paths.gitDir, this.repo.paths.commonDir, OVERSEER_FALLBACK) : OVERSEER_FALLBACK);
  }

  commitTree(tree: string, parents: string[], message: string, when: Date, author: Actor = this.actor): string {
    const sig = this.signature(author, when);
    const commit = this.cache.writeCommit({ tree, parents, author: sig, committer: sig, message: withActorTrailers(message, author) });
    this.liveCommits.add(commit);
    return commit;
  }

  updateRef(ref: string, expected: string | null, next: string, message: string, when: Date): void {
    this.repo.refs.compareAndSwap({ ref, expected, next, message, who: this.signature(this.actor, when) });
    this.liveCommits.add(next);
    this.repo.packIfDue();
  }

  /**
   * Where an agent's next commit goes. Its branch is brought up to the ledger first: fast-forwarded
   * when it has nothing unmerged, else its unmerged commits are replayed on the ledger tip. The
   * ledger is never merged into an agent branch, so histories never criss-cross.
   */
  private async writeTarget(ledgerTip: string): Promise<WriteTarget> {
    if (this.actor.isOverseer) return { ref: LEDGER_REF, expected: ledgerTip, parent: ledgerTip, parentViewKey: ledgerTip };
    const ref = agentRef(this.actor.name);
    const agentTip = this.repo.refs.resolve(ref);
    if (!agentTip) return { ref, expected: null, parent: ledgerTip, parentViewKey: ledgerTip };
    this.liveCommits.add(agentTip);
    const base = await this.mergeBase(agentTip, ledgerTip);
    if (base === ledgerTip) return { ref, expected: agentTip, parent: agentTip, parentViewKey: viewKey(ledgerTip, agentTip) };
    if (base === agentTip) return { ref, expected: agentTip, parent: ledgerTip, parentViewKey: ledgerTip };
    if (base === null) {
      throw new RepositoryError(`${ref} shares no history with the ledger`, `delete it with: git branch -D ${ref.replace('refs/heads/', '')}`);
    }
    return { ref, expected: agentTip, parent: await this.replay(base, agentTip, ledgerTip) };
  }

  /** Replays the commits between `base` and `tip` (first-parent) onto `onto`, keeping authors and messages. */
  private async replay(base: string, tip: string, onto: string): Promise<string> {
    // Each step replays one commit's own change: from its parent to itself.
    let steps: { commit: string; from: string }[] = [];
    for (let c: string | undefined = tip; c !== base; ) {
      const parent: string | undefined = (await this.cache.commitInfo(c)).parents[0];
      if (parent === undefined) {
        // The base is not on the first-parent chain: carry everything over in one step.
        steps = [{ commit: tip, from: base }];
        break;
      }
      steps.unshift({ commit: c, from: parent });
      c = parent;
    }
    let current = onto;
    for (const step of steps) {
      const ours = await this.snapshot(current);
      const merged = await mergeSnapshots(this.cache, await this.snapshot(step.from), ours, await this.snapshot(step.commit));
      // A step whose change the ledger already has leaves nothing to replay. One that lost values to
      // the ledger is kept, even with nothing left to change, to record them as `gt merge` would.
      if (merged.changes.size === 0 && merged.notes.length === 0) continue;
      // The replayed commits keep their messages: the write that follows them moves an old layout.
      const tree = merged.changes.size > 0 ? await this.cache.writeTree(ours.tree, merged.changes) : ours.tree;
      const original = await this.cache.fullCommit(step.commit);
      current = this.cache.writeCommit({ ...original, message: withMergeNotes(original.message, merged.notes), tree, parents: [current] });
    }
    return current;
  }

  /**
   * In a clone whose remote has a ledger (a remote-tracking `<remote>/gt/ledger`), makes gt/ledger from
   * it, following that remote; returns the remote's name. The upstream remote wins, then origin, then
   * the only one; with several and no way to choose, none is adopted (gt sync <remote> chooses).
   */
  private adoptRemoteLedger(): string | undefined {
    const remotes = remotesTracking(this.repo.refs.list('refs/remotes/').keys(), LEDGER_BRANCH);
    if (remotes.length === 0) return undefined;
    const cwd = this.repo.paths.workTree ?? this.repo.paths.gitDir;
    const preferred = upstreamRemote(cwd, LEDGER_BRANCH);
    const remote = preferred && remotes.includes(preferred) ? preferred : remotes.includes('origin') ? 'origin' : remotes.length === 1 ? remotes[0] : undefined;
    if (remote === undefined) throw new RepositoryError(`${remotes.join(' and ')} each have a ${LEDGER_BRANCH}`, `adopt one: gt sync <remote>`);
    const remoteTip = this.repo.refs.resolve(`refs/remotes/${remote}/${LEDGER_BRANCH}`)!;
    this.updateRef(LEDGER_REF, null, remoteTip, `init: adopt ${remote}/${LEDGER_BRANCH}`, new Date(this.now()));
    setUpstream(cwd, LEDGER_BRANCH, remote);
    return remote;
  }

  /** Writes the ledger's `.gitattributes` (attributes.ts) when missing or different; true when it did. */
  async writeAttributes(): Promise<boolean> {
    return withWriteLock(this.repo.stateDir, staleLockMs(), () => writeLedgerAttributes(this, this.requireLedgerTip()));
  }

  /**
   * Creates the ledger branch; a second run changes nothing, unless gt.yaml is missing or broken: then
   * it writes a valid one (`repaired` says what was wrong), keeping everything else.
   */
  async init(prefix?: string): Promise<{ created: boolean; config: LedgerConfig; repaired?: string; adopted?: string }> {
    if (prefix !== undefined) checkPrefix(prefix);
    return withWriteLock(this.repo.stateDir, staleLockMs(), async () => {
      const tip = this.ledgerTip();
      const adopted = tip ? undefined : this.adoptRemoteLedger();
      if (adopted) return { created: false, config: (await this.view()).config, adopted };
      if (tip) {
        const repair = await repairConfig(this, tip, prefix, defaultPrefix(this.repo));
        return repair ? { created: false, config: repair.config, repaired: repair.problem } : { created: false, config: (await this.view()).config };
      }
      const config: LedgerConfig = { schema: LEDGER_SCHEMA_VERSION, prefix: prefix ?? defaultPrefix(this.repo), types: [] };
      const when = new Date(this.now());
      const tree = await this.cache.writeTree(
        null,
        new Map([
          [CONFIG_PATH, { text: encodeConfig(config), value: config }],
          [ATTRIBUTES_PATH, { text: LEDGER_ATTRIBUTES, value: null }],
        ]),
      );
      const message = `init ledger (prefix ${config.prefix})`;
      const commit = this.commitTree(tree, [], message, when);
      this.updateRef(LEDGER_REF, null, commit, message, when);
      return { created: true, config };
    });
  }

  /** Saves what the index learned, for a ledger kept open (a long-lived process between two passes). */
  flush(): void {
    if (this.loadedIndex) this.saveIndex();
  }

  /** Saves the index (keeping what the current refs reach) and stops helper processes. */
  close(): void {
    if (this.loadedIndex) this.saveIndex();
    this.repo.close();
  }

  private saveIndex(): void {
    this.index.save(() => this.liveSet());
  }

  /** The commits whose state the index keeps when it compacts: what the refs and this process reached. */
  private liveSet(): Set<string> {
    const live = new Set(this.liveCommits);
    const tip = this.ledgerTip();
    if (tip) live.add(tip);
    for (const agentTip of this.agentTips().values()) {
      live.add(agentTip);
      const base = tip ? this.index.mergeBase(agentTip, tip) : undefined;
      if (base) live.add(base);
    }
    return live;
  }
}

