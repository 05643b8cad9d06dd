import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { EntityTable, Identified } from './entity-table.js';
import type { Head, HeadStore, KindHead } from './head.js';
import { pruneKeyedFiles, type ShardRow, type ShardStore } from './shard-store.js';

/**
 * Something worked out from every entity of one kind (who refers to whom, which beads are ready), kept
 * as text per folder tree and carried from one tree to the next by redoing only the entities that
 * changed. The functions are pure: they read the table they are given.
 */
export interface Derivation {
  /** A file-name-safe name, with a version to bump when the text's meaning changes. */
  readonly name: string;
  /** The text for the whole table. */
  full(table: EntityTable<Identified>): string;
  /** The text for `table`, from the text of an earlier tree and the ids whose files differ since (added, changed or removed). */
  update(previous: string, changed: ReadonlySet<string>, table: EntityTable<Identified>): string;
}

/*
 * Texts of tab-separated lines after a first empty line (so that every line starts after a newline):
 * the shape links and hooks are kept in. Lookups are text searches; an update drops the lines of what
 * changed and adds theirs again.
 */

/** The lines of such a text whose tab-separated field `field` (0-based, the last one for -1) is not in `drop`, without the first empty line. */
export function linesKeptBut(text: string, drop: ReadonlySet<string>, field: number): string {
  let out = '';
  for (let start = 1; start < text.length; ) {
    const end = text.indexOf('\n', start);
    if (end < 0) break;
    const fields = text.slice(start, end).split('\t');
    if (!drop.has(fields[field < 0 ? fields.length + field : field] ?? '')) out += text.slice(start, end + 1);
    start = end + 1;
  }
  return out;
}

/** What follows `key` and a tab on every line that starts with them. */
export function linesAfterKey(text: string, key: string): string[] {
  const out: string[] = [];
  const needle = `\n${key}\t`;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) out.push(text.slice(at + needle.length, text.indexOf('\n', at + 1)));
  return out;
}

const VERSION = 1;
/** An update is made from an earlier text while at most one entity in this many changed, or this many at all. */
const UPDATE_SHARE = 32;
const UPDATE_MIN = 256;
/** How far back along the heads writes were based on to look for a text to start from. */
const MAX_HOPS = 64;
const EMPTY_KIND: KindHead = { tree: '', shards: {}, loose: [] };

/** The ids whose files differ between two states of a folder; undefined when a shard of `before` is no longer stored. */
export function changedIds(store: ShardStore, dir: string, before: KindHead, after: KindHead): Set<string> | undefined {
  const changed = new Set<string>();
  const compare = (a: readonly ShardRow[], b: readonly ShardRow[]): void => {
    const blobs = new Map(a.map((r) => [r.id, r.blob]));
    for (const r of b) {
      if (blobs.get(r.id) !== r.blob) changed.add(r.id);
      blobs.delete(r.id);
    }
    for (const id of blobs.keys()) changed.add(id);
  };
  compare(before.loose, after.loose);
  for (const name of new Set([...Object.keys(before.shards), ...Object.keys(after.shards)])) {
    const was = before.shards[name]?.[0];
    const now = after.shards[name]?.[0];
    if (was === now) continue;
    if (was !== undefined && !store.has(dir, was)) return undefined;
    compare(was === undefined ? [] : store.peek(dir, was), now === undefined ? [] : store.load(dir, now));
  }
  return changed;
}

/**
 * Derived texts by derivation, kind and folder tree: `.git/gt/derived-v1/<name>/<dir>/<folder tree>`.
 * Keyed by the folder's tree id, a text is never stale; a new tree's is made from the nearest earlier
 * head that has one, by the derivation's update over the entities that differ.
 */
export class DerivedStore {
  private readonly dir: string;
  private readonly texts = new Map<string, string>();

  constructor(
    stateDir: string,
    private readonly heads: HeadStore,
    private readonly store: ShardStore,
  ) {
    this.dir = join(stateDir, `derived-v${VERSION}`);
  }

  private pathOf(name: string, kind: string, tree: string): string {
    return join(this.dir, name, kind, tree);
  }

  get(head: Head, dir: string, derivation: Derivation, table: EntityTable<Identified>): string {
    const kind = head.kinds[dir] ?? EMPTY_KIND;
    const key = `${derivation.name}/${dir}/${kind.tree}`;
    const known = this.texts.get(key);
    if (known !== undefined) return known;
    let text = this.stored(derivation.name, dir, kind.tree);
    if (text === undefined) {
      text = this.derive(head, dir, kind, derivation, table) ?? derivation.full(table);
      if (kind.tree !== '') this.save(derivation.name, dir, kind.tree, text);
    }
    this.texts.set(key, text);
    // A long-lived process sees a new folder tree per change: keep the texts of the latest few.
    if (this.texts.size > 16) this.texts.delete(this.texts.keys().next().value!);
    return text;
  }

  /** A stored text; undefined when missing or damaged (files are written whole with a closing mark, so only by hand). */
  private stored(name: string, dir: string, tree: string): string | undefined {
    if (tree === '') return undefined;
    try {
      const text = readFileSync(this.pathOf(name, dir, tree), 'latin1');
      return text.endsWith(END) ? text.slice(0, -END.length) : undefined;
    } catch {
      return undefined;
    }
  }

  private derive(head: Head, dir: string, kind: KindHead, derivation: Derivation, table: EntityTable<Identified>): string | undefined {
    let at: Head | undefined = head;
    for (let hop = 0; hop < MAX_HOPS && at?.base !== undefined; hop++) {
      at = this.heads.read(at.base);
      const before = at?.kinds[dir];
      const text = before ? this.stored(derivation.name, dir, before.tree) : undefined;
      if (!before || text === undefined) continue;
      const changed = changedIds(this.store, dir, before, kind);
      // An update looks up each changed id (readiness: who it blocks, a text search): past a share of
      // the table (an import that rewrote every bead: 41 s at 50,000), working it all out is cheaper.
      if (!changed || changed.size > Math.max(UPDATE_MIN, table.idSet().size / UPDATE_SHARE)) return undefined;
      return derivation.update(text, changed, table);
    }
    return undefined;
  }

  private save(name: string, dir: string, tree: string, text: string): void {
    try {
      mkdirSync(join(this.dir, name, dir), { recursive: true });
      const tmp = join(this.dir, name, dir, `.${tree}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      writeFileSync(tmp, text + END, 'latin1');
      renameSync(tmp, this.pathOf(name, dir, tree));
    } catch {
      // Only a cache.
    }
  }

  /** Removes texts of folders no kept head names (`<dir>/<folder tree>`). */
  prune(referenced: ReadonlySet<string>, now: number): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) pruneKeyedFiles(join(this.dir, name), referenced, now);
  }
}

/** Closes every stored text: a file without it was damaged and is made again. */
const END = '\n#end\n';
