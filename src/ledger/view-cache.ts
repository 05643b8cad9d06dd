import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { EntityKinds } from './entity-kind.js';
import { buildHead, headComplete, HeadStore, type Head, type HeadSource } from './head.js';
import { viewOfHead } from './head-view.js';
import { DerivedStore } from './derived.js';
import { ShardStore } from './shard-store.js';
import type { LedgerView } from './view.js';

/** Views kept in memory by a long-lived process (gt mcp, gt watch): the current heads, read without touching the disk. */
const IN_MEMORY = 4;

/**
 * Views by key (a ledger tip, or a ledger tip and an agent's tip), made of heads (head.ts) whose shards
 * are read on demand (shard-store.ts). Everything is keyed by git object ids, so nothing here can go
 * stale: a ref that moved names a key not seen yet, whose head is built from the nearest one known,
 * reading from git only the shards that differ.
 */
export class ViewCache {
  private readonly store: ShardStore;
  private readonly heads: HeadStore;
  private readonly derived: DerivedStore;
  private readonly recent = new Map<string, { head: Head; view: LedgerView }>();
  /** The head this process read or made last: where the next one it builds starts from. */
  private last: Head | undefined;

  constructor(
    stateDir: string,
    private readonly kinds: EntityKinds,
    private readonly now: () => number,
  ) {
    this.store = new ShardStore(stateDir);
    this.heads = new HeadStore(stateDir);
    this.derived = new DerivedStore(stateDir, this.heads, this.store);
    // The whole-ledger view files of gt before shards: up to a copy of the ledger per tip, never read again.
    const old = join(stateDir, 'views');
    if (existsSync(old)) rmSync(old, { recursive: true, force: true });
  }

  /** Shard files this process read and shards it decoded from git (for the bench and tests). */
  get stats(): { readonly filesRead: number; readonly shardsStored: number } {
    return { ...this.store.stats };
  }

  private remember(key: string, head: Head, view: LedgerView): LedgerView {
    this.recent.delete(key);
    this.recent.set(key, { head, view });
    if (this.recent.size > IN_MEMORY) this.recent.delete(this.recent.keys().next().value!);
    this.last = head;
    return view;
  }

  /** The head of a view this process or another one built; undefined when there is none (or its shards are gone). */
  headOf(key: string): Head | undefined {
    const kept = this.recent.get(key);
    if (kept) return kept.head;
    const head = this.heads.read(key);
    return head && headComplete(head, this.store) ? head : undefined;
  }

  get(key: string): LedgerView | undefined {
    const kept = this.recent.get(key);
    if (kept) return this.remember(key, kept.head, kept.view);
    const head = this.headOf(key);
    return head ? this.remember(key, head, viewOfHead(head, this.kinds, this.store, this.derived)) : undefined;
  }

  /**
   * Builds (and stores) the view of ledger tree `tree`, read from commit `label`, next to `base` (the
   * parent of a write) or else the last head this process or any other one made.
   */
  async build(key: string, label: string, tree: string, source: HeadSource, base?: Head): Promise<LedgerView> {
    const head = await buildHead(source, this.store, this.kinds, label, tree, base ?? this.last ?? this.heads.latest());
    this.heads.write(key, head);
    const kept = this.heads.pruneDue() ? this.heads.prune() : undefined;
    if (kept) {
      this.store.prune(kept.shards, this.now());
      this.derived.prune(kept.folders, this.now());
    }
    return this.remember(key, head, viewOfHead(head, this.kinds, this.store, this.derived));
  }
}
