import type { Command } from 'commander';
import { withLedger, globalsOf } from '../context.js';
import { printJson, printLine, formatTime } from '../output.js';
import { resolveId } from '../../beads/ids.js';
import { changedFields } from '../../beads/bead-diff.js';
import { fileHistory } from '../../ledger/file-history.js';
import { LEDGER_REF, agentRef, entityPath } from '../../ledger/layout.js';
import { beadKind } from '../../kinds.js';
import type { Bead } from '../../beads/bead.js';

export function registerHistory(program: Command): void {
  program
    .command('log')
    .description("a bead's history from git: who changed which fields, when, in which commit")
    .argument('<id>', 'bead id (any unique prefix)')
    .option('--json', "print the history as JSON, newest first; in a shallow clone whose history stops before the bead's creation, a last entry with change 'history-cut' names the boundary commit")
    .action(async (query: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await ledger.view();
        const id = resolveId(query, [...view.beads.keys(), ...view.broken.beads.keys()]);
        const agentTip = ledger.actor.isOverseer ? null : ledger.repo.refs.resolve(agentRef(ledger.actor.name));
        const ref = agentTip ?? LEDGER_REF;
        const { revisions, cutAt } = await fileHistory(ledger, ref, entityPath(beadKind.dir, id));
        const entries = revisions.map((r) => ({
          commit: r.commit,
          author: r.author,
          at: r.at,
          subject: r.subject,
          change: r.before === undefined ? 'created' : r.after === undefined ? 'deleted' : 'updated',
          fields: r.after === undefined ? [] : changedFields(r.before as Bead | undefined, r.after as Bead),
          status: (r.after as Bead | undefined)?.status,
        }));
        // A shallow clone shows what it has, and says where its history stops.
        const cut = cutAt ? { commit: cutAt, change: 'history-cut' as const, subject: 'earlier history is not in this shallow clone (git fetch --unshallow)' } : undefined;
        if (globalsOf(command).json) return printJson(cut ? [...entries, { ...cut, fields: [] }] : entries);
        for (const e of entries) {
          printLine(`${e.commit.slice(0, 10)}  ${formatTime(e.at)}  ${e.author.padEnd(10)}  ${e.change}${e.fields.length > 0 && e.change !== 'created' ? `: ${e.fields.join(', ')}` : ''}${e.status ? `  [${e.status}]` : ''}`);
          printLine(`            ${e.subject}`);
        }
        if (cut) printLine(`${cut.commit.slice(0, 10)}  … ${cut.subject}`);
      });
    });
}
