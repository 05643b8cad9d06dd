import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { LedgerConfig } from './config.js';
import { tablesOf, viewOfTables, type LedgerProblem, type LedgerView } from './view.js';
import { idFromPath } from './layout.js';
import { EntityTable } from './entity-table.js';
import { asciiJson } from './ascii-json.js';

/** The first line of a cached view; one line per entity follows: `<dir>\t<id>\t<status>\t<entity as JSON>`. */
interface ViewHeader {
  version: number;
  head: string;
  config: LedgerConfig;
  problems: LedgerProblem[];
}

const VERSION = 5;
/** Views of the most recent heads kept (the ledger and a few agents'); older ones are removed. */
const KEEP = 8;

function parseRow(line: string): [dir: string, row: [string, string, string]] | undefined {
  const a = line.indexOf('\t');
  const b = line.indexOf('\t', a + 1);
  const c = line.indexOf('\t', b + 1);
  if (a <= 0 || b < 0 || c < 0) return undefined;
  return [line.slice(0, a), [line.slice(a + 1, b), line.slice(b + 1, c), line.slice(c + 1)]];
}

/**
 * Finished views keyed by the commits they were read from. A read whose refs have not moved since
 * the last read or write loads one flat file instead of rebuilding the view from the index: the
 * common case. Like the index, it is keyed by commit ids and cannot go stale. Beads stay JSON text
 * until a command needs them (see EntityTable).
 */
export class ViewCache {
  private readonly dir: string;

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'views');
  }

  get(key: string): LedgerView | undefined {
    let lines: string[];
    let header: ViewHeader;
    try {
      // Every row is ASCII JSON (see asciiJson), and so is the header: the one-byte read is exact.
      lines = readFileSync(join(this.dir, `${key}.view`), 'latin1').split('\n');
      header = JSON.parse(lines[0]!) as ViewHeader;
    } catch {
      return undefined;
    }
    if (header.version !== VERSION || lines[lines.length - 1] !== '') return undefined;
    const rows = new Map<string, [string, string, string][]>();
    for (let i = 1; i < lines.length - 1; i++) {
      const parsed = parseRow(lines[i]!);
      if (!parsed) return undefined;
      let list = rows.get(parsed[0]);
      if (!list) rows.set(parsed[0], (list = []));
      list.push(parsed[1]);
    }
    const tables = new Map([...rows].map(([dir, list]) => [dir, EntityTable.fromText<{ id: string }>(list)]));
    const brokenBeads = new Map<string, LedgerProblem>();
    for (const p of header.problems) if (p.path.startsWith('beads/')) brokenBeads.set(idFromPath(p.path) ?? p.path, p);
    return viewOfTables(header.config, tables, brokenBeads, header.problems, header.head);
  }

  put(key: string, view: LedgerView): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const header: ViewHeader = { version: VERSION, head: view.head, config: view.config, problems: [...view.problems] };
      const parts = [asciiJson(header)];
      for (const [dir, table] of tablesOf(view)) for (const [id, status, text] of table.textRows()) parts.push(`${dir}\t${id}\t${status}\t${text}`);
      parts.push('');
      const tmp = join(this.dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
      writeFileSync(tmp, parts.join('\n'));
      renameSync(tmp, join(this.dir, `${key}.view`));
      this.prune();
    } catch {
      // Only a cache: the next read rebuilds it.
    }
  }

  private prune(): void {
    const files = readdirSync(this.dir)
      .filter((f) => f.endsWith('.view') || f.endsWith('.json'))
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
