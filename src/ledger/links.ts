import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Head, HeadStore, KindHead } from './head.js';
import { BROKEN, pruneKeyedFiles, type ShardRow, type ShardStore } from './shard-store.js';

/** A reference from one entity to another of its kind (a bead's dependency): its type and the entity it names. */
export type LinksOf = (text: string) => readonly (readonly [type: string, target: string])[];

/** An entity that refers to another, and how. */
export interface Referrer {
  source: string;
  type: string;
}

const VERSION = 1;
/** How far back along the heads a write was based on to look for links to start from. */
const MAX_HOPS = 64;

function lineOf(target: string, type: string, source: string): string {
  return `${target}\t${type}\t${source}\n`;
}

function linesOfRows(rows: readonly ShardRow[], linksOf: LinksOf): string {
  let out = '';
  for (const row of rows) {
    if (row.status === BROKEN) continue;
    for (const [type, target] of linksOf(row.text)) out += lineOf(target, type, row.id);
  }
  return out;
}

/**
 * Who refers to whom within one kind, for one folder tree: `.git/gt/links-v1/<dir>/<folder tree>`, a
 * line per reference, `<target>\t<type>\t<source>`. Answering "who depends on X" is then a text search
 * in one file, not a parse of every entity. A folder's file is derived from an earlier folder's (along
 * the heads writes were based on) by redoing only the shards that differ; keyed by the folder's tree
 * id, it is never stale.
 */
export class LinkIndex {
  private readonly dir: string;
  private readonly texts = new Map<string, string>();

  constructor(
    stateDir: string,
    private readonly heads: HeadStore,
    private readonly store: ShardStore,
  ) {
    this.dir = join(stateDir, `links-v${VERSION}`);
  }

  private pathOf(kind: string, tree: string): string {
    return join(this.dir, kind, tree);
  }

  /** The entities of kind `dir` in `head` that refer to `id`, by id. */
  referrers(head: Head, dir: string, id: string, linksOf: LinksOf): Referrer[] {
    const kind = head.kinds[dir];
    if (!kind) return [];
    const text = this.textOf(head, dir, kind, linksOf);
    const out: Referrer[] = [];
    const needle = `\n${id}\t`;
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
      const start = at + needle.length;
      const tab = text.indexOf('\t', start);
      const end = text.indexOf('\n', tab);
      out.push({ type: text.slice(start, tab), source: text.slice(tab + 1, end) });
    }
    return out.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.type < b.type ? -1 : 1));
  }

  private textOf(head: Head, dir: string, kind: KindHead, linksOf: LinksOf): string {
    const key = `${dir}/${kind.tree}`;
    const known = this.texts.get(key);
    if (known !== undefined) return known;
    let text: string | undefined;
    text = this.stored(dir, kind.tree);
    if (text === undefined) {
      text = this.derive(head, dir, kind, linksOf) ?? `\n${this.all(dir, kind, linksOf)}`;
      this.save(dir, kind.tree, text);
    }
    this.texts.set(key, text);
    return text;
  }

  /** A folder's stored links; undefined when missing, or damaged (written whole and renamed into place, so only by hand). */
  private stored(dir: string, tree: string): string | undefined {
    try {
      const text = readFileSync(this.pathOf(dir, tree), 'latin1');
      return text.startsWith('\n') && text.endsWith('\n') ? text : undefined;
    } catch {
      return undefined;
    }
  }

  private all(dir: string, kind: KindHead, linksOf: LinksOf): string {
    let out = linesOfRows(kind.loose, linksOf);
    for (const [oid] of Object.values(kind.shards)) out += linesOfRows(this.store.load(dir, oid), linksOf);
    return out;
  }

  /** From the nearest earlier head whose links of this kind are stored, redoing the shards that changed since. */
  private derive(head: Head, dir: string, kind: KindHead, linksOf: LinksOf): string | undefined {
    let at: Head | undefined = head;
    for (let hop = 0; hop < MAX_HOPS && at?.base !== undefined; hop++) {
      at = this.heads.read(at.base);
      const before = at?.kinds[dir];
      const text = before ? this.stored(dir, before.tree) : undefined;
      if (!before || text === undefined) continue;
      const changed = new Set<string>();
      for (const name of new Set([...Object.keys(before.shards), ...Object.keys(kind.shards)])) {
        if (before.shards[name]?.[0] !== kind.shards[name]?.[0]) changed.add(name);
      }
      const oldRows: ShardRow[] = [...before.loose];
      const newRows: ShardRow[] = [...kind.loose];
      for (const name of changed) {
        const was = before.shards[name]?.[0];
        const now = kind.shards[name]?.[0];
        if (was !== undefined && !this.store.has(dir, was)) return undefined;
        if (was !== undefined) oldRows.push(...this.store.load(dir, was));
        if (now !== undefined) newRows.push(...this.store.load(dir, now));
      }
      const redone = new Set([...oldRows, ...newRows].map((r) => r.id));
      let out = '\n';
      for (let start = 1; start < text.length; ) {
        const end = text.indexOf('\n', start);
        const line = text.slice(start, end + 1);
        const source = line.slice(line.lastIndexOf('\t', line.length - 2) + 1, -1);
        if (!redone.has(source)) out += line;
        start = end + 1;
      }
      return out + linesOfRows(newRows, linksOf);
    }
    return undefined;
  }

  /** Removes files of folders no kept head names (`<dir>/<folder tree>`). */
  prune(referenced: ReadonlySet<string>, now: number): void {
    pruneKeyedFiles(this.dir, referenced, now);
  }

  private save(dir: string, tree: string, text: string): void {
    try {
      mkdirSync(join(this.dir, dir), { recursive: true });
      const tmp = join(this.dir, dir, `.${tree}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      writeFileSync(tmp, text, 'latin1');
      renameSync(tmp, this.pathOf(dir, tree));
    } catch {
      // Only a cache.
    }
  }
}
