import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Bead } from '../beads/bead.js';
import type { LedgerConfig } from './config.js';
import type { LedgerProblem, LedgerView } from './view.js';
import { idFromPath } from './layout.js';

interface StoredView {
  version: number;
  head: string;
  config: LedgerConfig;
  beads: Bead[];
  problems: LedgerProblem[];
}

const VERSION = 1;
/** Views of the most recent heads kept (the ledger and a few agents'); older ones are removed. */
const KEEP = 8;

/**
 * Finished views keyed by the commits they were read from. A read whose refs have not moved since
 * the last read parses one flat file instead of rebuilding the view from the index: the common case
 * of several reads between writes. Like the index, it is keyed by commit ids and cannot go stale.
 */
export class ViewCache {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'views');
  }

  get(key: string): LedgerView | undefined {
    let stored: StoredView;
    try {
      stored = JSON.parse(readFileSync(join(this.dir, `${key}.json`), 'utf8')) as StoredView;
    } catch {
      return undefined;
    }
    if (stored.version !== VERSION) return undefined;
    const beads = new Map<string, Bead>();
    for (const bead of stored.beads) beads.set(bead.id, bead);
    const brokenBeads = new Map<string, LedgerProblem>();
    for (const p of stored.problems) if (p.path.startsWith('beads/')) brokenBeads.set(idFromPath(p.path) ?? p.path, p);
    return { config: stored.config, beads, brokenBeads, problems: stored.problems, head: stored.head };
  }

  put(key: string, view: LedgerView): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const stored: StoredView = { version: VERSION, head: view.head, config: view.config, beads: [...view.beads.values()], problems: [...view.problems] };
      const tmp = join(this.dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      writeFileSync(tmp, JSON.stringify(stored));
      renameSync(tmp, join(this.dir, `${key}.json`));
      this.prune();
    } catch {
      // Only a cache: the next read rebuilds it.
    }
  }

  private prune(): void {
    const files = readdirSync(this.dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => ({ f, t: statSync(join(this.dir, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { f } of files.slice(KEEP)) {
      try {
        unlinkSync(join(this.dir, f));
      } catch {
        // Another process pruned it first.
      }
    }
  }
}
