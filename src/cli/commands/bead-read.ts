import type { Command } from 'commander';
import { withLedger, globalsOf, readView } from '../context.js';
import { assigneeOption, checkOption, collect, labelList, parseLimit, priorityList, sortKeyOption, statusList } from '../options.js';
import { beadLine, idWidthOf, printBeadList, printBeadTexts, printJson, printJsonTexts, printLine, printRow, formatTime, statusIcon, STATUS_LEGEND } from '../output.js';
import { blockedBeads, blockedBeadTexts, dependentsOf, ledgerStats, listBeadRows, listBeads, readyBeads, readyBeadTexts, SORT_KEYS } from '../../beads/queries.js';
import { describeBlocker } from '../../beads/readiness.js';
import { lookupBead } from '../../beads/bead-service.js';
import { knownTypes, splitList } from '../../beads/bead-input.js';
import { UsageError } from '../../errors.js';
import type { Bead, BeadStatus } from '../../beads/bead.js';
import type { LedgerView } from '../../ledger/view.js';
import { plural } from '../../ledger/wording.js';

function lookup(view: LedgerView, query: string): Bead {
  return lookupBead(view.beads, view.broken.beads, query);
}

function indent(text: string): string {
  return text.split('\n').map((l) => `    ${l}`).join('\n');
}

function printBead(view: LedgerView, bead: Bead): void {
  printLine(`${statusIcon(bead.status)} ${bead.id}  ${bead.title}`);
  printLine(`  status: ${bead.status}   priority: P${bead.priority}   type: ${bead.type}${bead.assignee ? `   assignee: ${bead.assignee}` : ''}`);
  if (bead.labels.length > 0) printLine(`  labels: ${bead.labels.join(', ')}`);
  if (bead.external_ref) printLine(`  external: ${bead.external_ref}`);
  printLine(`  created ${formatTime(bead.created_at)} by ${bead.created_by}, updated ${formatTime(bead.updated_at)}`);
  if (bead.closed_at) printLine(`  closed ${formatTime(bead.closed_at)}${bead.close_reason ? `: ${bead.close_reason}` : ''}`);
  for (const [label, text] of [['Description', bead.description], ['Acceptance', bead.acceptance], ['Notes', bead.notes]] as const) {
    if (text) printLine(`\n  ${label}\n${indent(text)}`);
  }
  if (bead.deps.length > 0) {
    printLine('\n  Depends on');
    for (const d of bead.deps) {
      const target = view.beads.get(d.id);
      printLine(`    ${target ? statusIcon(target.status) : '?'} ${d.type} ${d.id}${target ? `  ${target.title} (${target.status})` : '  (missing)'}`);
    }
  }
  const dependents = dependentsOf(view, bead.id);
  if (dependents.length > 0) {
    printLine('\n  Dependents');
    for (const d of dependents) printLine(`    ${statusIcon(d.status)} ${d.id} (${d.type})  ${d.title}`);
  }
  if (bead.comments.length > 0) {
    printLine('\n  Comments');
    for (const c of bead.comments) printLine(`    ${c.author}, ${formatTime(c.at)}:\n${indent(indent(c.text))}`);
  }
}

/** A type to filter by: declared, or carried by some bead (imported beads may have others). */
function knownType(view: LedgerView, raw: string): string {
  const value = raw.trim().toLowerCase();
  const known = knownTypes(view.config);
  if (known.includes(value) || [...view.beads.values()].some((b) => b.type === value)) return value;
  throw new UsageError(`invalid type '${raw}'`, `use one of: ${known.join(', ')}`);
}

interface ListOptions {
  status?: BeadStatus[];
  type?: string[];
  priority?: number[];
  assignee?: string;
  label?: string[];
  text?: string;
  all?: boolean;
  sort?: string;
  reverse?: boolean;
  limit?: number;
}

export function registerBeadReads(program: Command): void {
  program
    .command('show')
    .description('show beads in full: fields, dependencies, dependents, comments')
    .argument('<ids...>', 'bead ids (any unique prefixes)')
    .option('--json', 'print a JSON array of the beads, each with its dependents')
    .addHelpText('after', STATUS_LEGEND)
    .action(async (ids: string[], _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await ledger.view();
        const beads = ids.map((id) => lookup(view, id));
        if (globalsOf(command).json) return printJson(beads.map((b) => ({ ...b, dependents: dependentsOf(view, b.id) })));
        beads.forEach((b, i) => {
          if (i > 0) printLine();
          printBead(view, b);
        });
      });
    });

  program
    .command('list')
    .description('list beads (closed ones only with --all or --status closed)')
    .option('-s, --status <statuses>', 'only these statuses (repeatable, or comma-separated)', statusList)
    .option('-t, --type <types>', 'only these types (repeatable, or comma-separated)', collect)
    .option('-p, --priority <priorities>', 'only these priorities (repeatable, or comma-separated)', priorityList)
    .option('-a, --assignee <agent>', 'only beads assigned to this agent ("" for unassigned)', assigneeOption('--assignee'))
    .option('-l, --label <labels>', 'only beads with all these labels (repeatable, or comma-separated)', labelList('--label'))
    .option('--text <text>', 'only beads whose id, title, description or notes contain this text')
    .option('--all', 'include closed beads')
    .option('--sort <key>', `order by ${SORT_KEYS.join(', ')}`, sortKeyOption, 'priority')
    .option('-r, --reverse', 'reverse the order')
    .option('-n, --limit <n>', 'show at most n beads', parseLimit)
    .option('--json', 'print a JSON array of beads')
    .addHelpText('after', STATUS_LEGEND)
    .action(async (options: ListOptions, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const types = splitList(options.type).map((t) => checkOption('--type', t, (raw) => knownType(view, raw)));
        const filter = {
          statuses: options.status ?? [],
          types,
          priorities: options.priority ?? [],
          ...(options.assignee !== undefined ? { assignee: options.assignee } : {}),
          labels: options.label ?? [],
          ...(options.text !== undefined ? { text: options.text } : {}),
          ...(options.all ? { all: true } : {}),
          ...(options.sort !== undefined ? { sort: options.sort } : {}),
          ...(options.reverse ? { reverse: true } : {}),
          ...(options.limit !== undefined ? { limit: options.limit } : {}),
        };
        // A program reading a pipe gets the beads' JSON as it is stored, unparsed: the same value
        // JSON.stringify would give (non-ASCII characters as \u escapes).
        const json = globalsOf(command).json;
        if (!json || !process.stdout.isTTY) {
          const rows = listBeadRows(view, filter);
          if (rows && json) return printJsonTexts(rows.map((r) => r.text));
          if (rows) return printBeadTexts(rows, 'no beads match');
        }
        const beads = listBeads(view, filter);
        if (globalsOf(command).json) printJson(beads);
        else await printBeadList(beads, 'no beads match');
      });
    });

  program
    .command('ready')
    .description('beads that can be started now: open, not deferred, nothing blocking them; most urgent and oldest first')
    .option('-n, --limit <n>', 'show at most n beads', parseLimit)
    .option('--json', 'print a JSON array of beads')
    .addHelpText('after', STATUS_LEGEND)
    .action(async (options: { limit?: number }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const texts = globalsOf(command).json && !process.stdout.isTTY ? readyBeadTexts(view, options.limit) : undefined;
        if (texts) return printJsonTexts(texts);
        const ready = readyBeads(view.beads).slice(0, options.limit ?? Infinity);
        if (globalsOf(command).json) printJson(ready);
        else await printBeadList(ready, 'nothing is ready');
      });
    });

  program
    .command('blocked')
    .description('beads that cannot proceed, each with what blocks it')
    .option('--json', 'print a JSON array of beads, each with blocked_by')
    .addHelpText('after', STATUS_LEGEND)
    .action(async (_options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const texts = globalsOf(command).json && !process.stdout.isTTY ? blockedBeadTexts(view) : undefined;
        if (texts) return printJsonTexts(texts);
        const blocked = blockedBeads(view.beads);
        if (globalsOf(command).json) return printJson(blocked.map(({ bead, blockers }) => ({ ...bead, blocked_by: blockers })));
        if (blocked.length === 0) return printLine('nothing is blocked');
        const width = idWidthOf(blocked.map((b) => b.bead));
        for (const { bead, blockers } of blocked) {
          printRow(beadLine(bead, width));
          for (const b of blockers) printLine(`      ↳ ${describeBlocker(b)}`);
        }
      });
    });

  program
    .command('stats')
    .description('counts of beads by status, type and priority, and how many are ready or blocked')
    .option('--json', 'print the counts as JSON')
    .action(async (_options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const stats = ledgerStats(await readView(ledger));
        if (globalsOf(command).json) return printJson(stats);
        printLine(`${plural(stats.total, 'bead')}: ${stats.ready} ready, ${stats.blocked} blocked`);
        printLine(`  by status:   ${Object.entries(stats.by_status).map(([k, v]) => `${k} ${v}`).join(', ')}`);
        printLine(`  by type:     ${Object.entries(stats.by_type).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`);
        printLine(`  by priority: ${Object.entries(stats.by_priority).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`);
        if (stats.broken_files > 0) printLine(`  ${plural(stats.broken_files, 'broken file')} (see gt doctor)`);
      });
    });
}
