import type { EntityKinds } from './entity-kind.js';
import { EntityTable, type Identified, type TableSource } from './entity-table.js';
import type { Head, KindHead } from './head.js';
import { linksDerivation, referrersIn } from './links.js';
import type { Derivation, DerivedStore } from './derived.js';
import { shardOf } from './layout.js';
import { BROKEN, type ShardRow, type ShardStore } from './shard-store.js';
import { viewOfTables, type LedgerProblem, type LedgerView } from './view.js';

function problemOf(path: string, row: ShardRow): LedgerProblem {
  const { problem, line } = JSON.parse(row.text) as { problem: string; line?: number };
  return line !== undefined ? { path, problem, line } : { path, problem };
}

/** The unreadable files of one kind, found shard by shard like the table's rows: `get(id)` reads one shard. */
class BrokenFiles implements ReadonlyMap<string, LedgerProblem> {
  private readonly found = new Map<string, LedgerProblem>();
  private readonly pending: Set<string>;

  constructor(
    private readonly dir: string,
    private readonly kind: KindHead,
    private readonly store: ShardStore,
  ) {
    // Only shards with unreadable files need reading to list them (the head counts them).
    this.pending = new Set(Object.keys(kind.shards).filter((name) => kind.shards[name]![2] > 0));
    for (const row of kind.loose) if (row.status === BROKEN) this.found.set(row.id, problemOf(`${dir}/${row.id}.yaml`, row));
  }

  private load(shard: string): void {
    this.pending.delete(shard);
    for (const row of this.store.load(this.dir, this.kind.shards[shard]![0])) {
      if (row.status === BROKEN && !this.found.has(row.id)) this.found.set(row.id, problemOf(`${this.dir}/${shard}/${row.id}.yaml`, row));
    }
  }

  private all(): Map<string, LedgerProblem> {
    for (const shard of [...this.pending]) this.load(shard);
    return this.found;
  }

  get size(): number {
    return this.all().size;
  }

  get(id: string): LedgerProblem | undefined {
    const shard = shardOf(id);
    if (this.pending.has(shard)) this.load(shard);
    return this.found.get(id);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  keys(): MapIterator<string> {
    return this.all().keys();
  }

  values(): MapIterator<LedgerProblem> {
    return this.all().values();
  }

  entries(): MapIterator<[string, LedgerProblem]> {
    return this.all().entries();
  }

  [Symbol.iterator](): MapIterator<[string, LedgerProblem]> {
    return this.entries();
  }

  forEach(callback: (value: LedgerProblem, key: string, map: ReadonlyMap<string, LedgerProblem>) => void): void {
    for (const [id, p] of this.all()) callback(p, id, this);
  }
}

/**
 * The view of a head (head.ts): tables and problems read shard by shard as a command asks for them.
 * `gt show` of one bead reads gt.yaml's head, the bead's shard, its dependencies' shards and one
 * file of references, whatever the size of the ledger.
 */
export function viewOfHead(head: Head, kinds: EntityKinds, store: ShardStore, derived: DerivedStore): LedgerView {
  const tables = new Map<string, EntityTable<Identified>>();
  const broken = new Map<string, BrokenFiles>();
  for (const [dir, kind] of kinds) {
    const kh: KindHead = head.kinds[dir] ?? { tree: '', shards: {}, loose: [] };
    const linksOf = kind.links;
    // Derived texts are worked out over this table as the head holds it, never over a changed copy.
    let table: EntityTable<Identified> | undefined;
    const derive = (d: Derivation): string => derived.get(head, dir, d, table!);
    const links = linksOf && linksDerivation(linksOf);
    const source: TableSource = {
      shards: Object.keys(kh.shards),
      rowsOf: (shard) => store.load(dir, kh.shards[shard]![0]),
      peekRowsOf: (shard) => store.peek(dir, kh.shards[shard]![0]),
      shardOf,
      sizeHint: kh.loose.length + Object.values(kh.shards).reduce((n, [, count]) => n + count, 0),
      derived: derive,
      ...(linksOf && links ? { linksOf, referrers: (id: string) => referrersIn(derive(links), id) } : {}),
    };
    table = EntityTable.onDemand(source, kh.loose);
    tables.set(dir, table);
    broken.set(dir, new BrokenFiles(dir, kh, store));
  }
  // Every problem, in path order, only when a command asks for them all (a list, a check).
  let problems: LedgerProblem[] | undefined;
  const allProblems = (): LedgerProblem[] => {
    problems ??= [...broken.values()].flatMap((b) => [...b.values()]).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return problems;
  };
  return viewOfTables(head.config, tables, allProblems, head.head, broken);
}
