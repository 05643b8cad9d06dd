/**
 * `gt init` on a ledger whose gt.yaml is missing or unreadable writes a valid one in a new commit, and
 * touches nothing else: every bead, convoy and message stays as it is. The prefix is the one given,
 * else the one most entity ids carry (`<prefix>-…`), else the directory's. A gt.yaml from a newer gt is
 * left alone.
 */
import { CONFIG_PATH, dirOf, idFromPath, LEDGER_REF } from './layout.js';
import { LEDGER_SCHEMA_VERSION, PREFIX_PATTERN, type LedgerConfig } from './config.js';
import { encodeConfig } from './config-codec.js';
import { GtError, LedgerFileError, RepositoryError } from '../errors.js';
import type { Ledger } from './ledger.js';
import type { Snapshot } from './snapshot.js';

/** Why the ledger's gt.yaml cannot be used and can be rewritten, if it cannot. */
export function repairableConfigProblem(error: unknown, snapshot: Snapshot): string | undefined {
  if (!snapshot.files.has(CONFIG_PATH)) return error instanceof RepositoryError ? 'missing' : undefined;
  if (error instanceof LedgerFileError && error.path === CONFIG_PATH && !error.problem.includes('upgrade gt')) return error.message;
  return undefined;
}

/** The prefix most entity ids on the ledger carry (`gt-4f2a`, `gt-cv-3k9x`), if any is a valid prefix. */
export function inferPrefix(snapshot: Snapshot): string | undefined {
  const counts = new Map<string, number>();
  for (const path of snapshot.files.keys()) {
    const id = dirOf(path) !== '' ? idFromPath(path) : undefined;
    const prefix = id?.slice(0, Math.max(0, id.indexOf('-')));
    if (prefix && PREFIX_PATTERN.test(prefix)) counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0];
}

/**
 * Rewrites gt.yaml at the ledger's tip when it is missing or broken; returns undefined when it is fine
 * (or not gt's to repair). Runs under the caller's write lock.
 */
export async function repairConfig(ledger: Ledger, tip: string, prefix: string | undefined, fallbackPrefix: string): Promise<{ config: LedgerConfig; problem: string } | undefined> {
  try {
    await ledger.view();
    return undefined;
  } catch (error) {
    if (!(error instanceof GtError)) throw error;
    const snapshot = await ledger.snapshot(tip);
    const problem = repairableConfigProblem(error, snapshot);
    if (problem === undefined) throw error;
    const config: LedgerConfig = { schema: LEDGER_SCHEMA_VERSION, prefix: prefix ?? inferPrefix(snapshot) ?? fallbackPrefix, types: [] };
    const changes = new Map([[CONFIG_PATH, { text: encodeConfig(config), value: config }]]);
    // The new gt.yaml names the current schema: files of an older layout move with it.
    const migration = await ledger.migration(snapshot, changes);
    const tree = await ledger.cache.writeTree(snapshot.tree, migration?.changes ?? changes, migration?.remove);
    const when = new Date(ledger.now());
    const message = `init: repair ${CONFIG_PATH} (prefix ${config.prefix})\n\nIt was ${problem === 'missing' ? 'missing' : `unreadable: ${problem}`}.${migration ? `\n${migration.note}` : ''}`;
    const commit = ledger.commitTree(tree, [tip], message, when);
    ledger.updateRef(LEDGER_REF, tip, commit, message.split('\n')[0]!, when);
    return { config, problem };
  }
}
