import type { Command } from 'commander';
import { withLedger, globalsOf } from '../context.js';
import { assigneeOption, checkOption, depSpecList, labelList, priorityOption, statusOption } from '../options.js';
import { printJson, printLine } from '../output.js';
import { claimBead, closeBead, createBead, reopenBead, updateBead, type UpdateBeadInput } from '../../beads/bead-service.js';
import { parseType, splitList } from '../../beads/bead-input.js';
import type { Bead, DepType } from '../../beads/bead.js';
import { UsageError } from '../../errors.js';
import { landedNotice, writeAndLand } from '../../work/close-and-land.js';

interface CreateOptions {
  type?: string;
  priority?: number;
  status?: string;
  assignee?: string;
  label?: string[];
  description?: string;
  acceptance?: string;
  notes?: string;
  deps?: { type: DepType; id: string }[];
  parent?: string;
  externalRef?: string;
}

function summarize(verb: string, results: { bead: Bead; changed: string[] }[]): string {
  const ids = results.map((r) => r.bead.id);
  return ids.length === 1 ? `${verb} ${ids[0]}: ${results[0]!.bead.title}` : `${verb} ${ids.join(', ')}`;
}

export function registerBeadWrites(program: Command): void {
  program
    .command('create')
    .description('create a bead (a work item)')
    .argument('<title...>', 'short title of the work')
    .option('-t, --type <type>', 'task, bug, feature, chore, epic, decision, or a type declared in gt.yaml', 'task')
    .option('-p, --priority <priority>', '0 (most urgent) to 4, or P0 to P4', priorityOption, 2)
    .option('-s, --status <status>', 'initial status', statusOption, 'open')
    .option('-a, --assignee <agent>', 'who should do it', assigneeOption('--assignee'))
    .option('-l, --label <labels>', 'label (repeatable, or comma-separated)', labelList('--label'))
    .option('-d, --description <text>', 'what needs doing and why')
    .option('--acceptance <text>', 'how to tell it is done')
    .option('--notes <text>', 'working notes')
    .option('--deps <deps>', 'dependencies as <type>:<id> (repeatable, or comma-separated), e.g. blocks:gt-4f2a', depSpecList)
    .option('--parent <id>', 'parent bead (adds a parent-child dependency)')
    .option('--external-ref <ref>', 'reference in another tracker, e.g. gh-42')
    .option('--json', 'print the created bead as JSON')
    .action(async (titleWords: string[], options: CreateOptions, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const type = options.type !== undefined ? checkOption('--type', options.type, (t) => parseType(t, tx.config)) : undefined;
          const bead = createBead(tx, {
            title: titleWords.join(' '),
            ...(type !== undefined ? { type } : {}),
            ...(options.priority !== undefined ? { priority: options.priority } : {}),
            ...(options.status !== undefined ? { status: options.status } : {}),
            ...(options.assignee !== undefined ? { assignee: options.assignee } : {}),
            labels: options.label ?? [],
            ...(options.description !== undefined ? { description: options.description } : {}),
            ...(options.acceptance !== undefined ? { acceptance: options.acceptance } : {}),
            ...(options.notes !== undefined ? { notes: options.notes } : {}),
            deps: options.deps ?? [],
            ...(options.parent !== undefined ? { parent: options.parent } : {}),
            ...(options.externalRef !== undefined ? { externalRef: options.externalRef } : {}),
          });
          return { result: bead, message: `create ${bead.id}: ${bead.title}` };
        });
        if (globalsOf(command).json) printJson(result);
        else printLine(`created ${result.id}: ${result.title}`);
      });
    });

  program
    .command('update')
    .description('change fields of a bead')
    .argument('<id>', 'bead id (any unique prefix)')
    .option('--title <title>', 'new title')
    .option('-t, --type <type>', 'new type')
    .option('-s, --status <status>', 'open, in_progress, blocked, deferred, hooked or closed', statusOption)
    .option('-p, --priority <priority>', '0 (most urgent) to 4, or P0 to P4', priorityOption)
    .option('-a, --assignee <agent>', 'new assignee ("" to unassign)', assigneeOption('--assignee'))
    .option('-d, --description <text>', 'new description')
    .option('--acceptance <text>', 'new acceptance criteria')
    .option('--notes <text>', 'replace the notes')
    .option('--append-notes <text>', 'add a line to the notes')
    .option('--external-ref <ref>', 'new external reference')
    .option('--add-label <labels>', 'add labels (repeatable, or comma-separated)', labelList('--add-label'))
    .option('--remove-label <labels>', 'remove labels (repeatable, or comma-separated)', labelList('--remove-label'))
    .option('--claim', 'take the bead: assign it to yourself and mark it in_progress, only if it is open and unassigned')
    .option('--json', 'print the updated bead as JSON')
    .action(async (id: string, options: UpdateBeadInput & { addLabel?: string[]; removeLabel?: string[] }, command: Command) => {
      const input: UpdateBeadInput = {
        ...options,
        ...(options.addLabel ? { addLabels: splitList(options.addLabel) } : {}),
        ...(options.removeLabel ? { removeLabels: splitList(options.removeLabel) } : {}),
      };
      delete (input as Record<string, unknown>).json;
      delete (input as Record<string, unknown>).addLabel;
      delete (input as Record<string, unknown>).removeLabel;
      if (Object.keys(input).length === 0) throw new UsageError('nothing to update', 'name at least one field, e.g. --status in_progress; see gt update --help');
      await withLedger(command, async (ledger) => {
        const { result, landed } = await writeAndLand(ledger, async (tx) => {
          if (input.type !== undefined) input.type = checkOption('--type', input.type, (t) => parseType(t, tx.config));
          const outcome = input.claim ? await claimBead(tx, id, input) : updateBead(tx, id, input);
          return { result: outcome, message: `${input.claim ? 'claim' : 'update'} ${outcome.bead.id}: ${outcome.changed.join(', ')}` };
        });
        if (globalsOf(command).json) printJson(result.bead);
        else if (result.changed.length === 0) printLine(`${result.bead.id}: nothing changed`);
        else printLine(`${input.claim ? 'claimed' : 'updated'} ${result.bead.id}: ${result.changed.join(', ')}`);
        if (!globalsOf(command).json) for (const c of landed) printLine(landedNotice(c));
      });
    });

  program
    .command('close')
    .description('close beads (work done, or not to be done)')
    .argument('<ids...>', 'bead ids (any unique prefixes)')
    .option('-r, --reason <reason>', 'why it is closed')
    .option('-f, --force', 'close an epic even though some of its children are open')
    .option('--json', 'print the closed beads as JSON')
    .action(async (ids: string[], options: { reason?: string; force?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result, landed } = await writeAndLand(ledger, (tx) => {
          const results = ids.map((id) => closeBead(tx, id, options));
          const closed = results.filter((r) => r.changed.length > 0);
          return { result: results, message: `${summarize('close', closed)}${options.reason ? `\n\n${options.reason}` : ''}` };
        });
        if (globalsOf(command).json) return printJson(result.map((r) => r.bead));
        for (const r of result) printLine(r.changed.length > 0 ? `closed ${r.bead.id}: ${r.bead.title}` : `${r.bead.id} was already closed`);
        for (const c of landed) printLine(landedNotice(c));
      });
    });

  program
    .command('reopen')
    .description('reopen closed beads')
    .argument('<ids...>', 'bead ids (any unique prefixes)')
    .option('-r, --reason <reason>', 'why it is reopened (kept as a comment "Reopened: <reason>" and in the commit message)')
    .option('--json', 'print the reopened beads as JSON')
    .action(async (ids: string[], options: { reason?: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const results = ids.map((id) => reopenBead(tx, id, options));
          return { result: results, message: `${summarize('reopen', results)}${options.reason ? `\n\n${options.reason}` : ''}` };
        });
        if (globalsOf(command).json) return printJson(result.map((r) => r.bead));
        for (const r of result) printLine(`reopened ${r.bead.id}: ${r.bead.title}`);
      });
    });
}
