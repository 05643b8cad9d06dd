import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { withLedger, globalsOf, readView, gtEntry } from '../context.js';
import { addressList, addressOption, collect, countOption, oneOf } from '../options.js';
import { CONVOY_LEGEND, printJson, printLine, printRow, statusIcon } from '../output.js';
import { runConvoyView } from '../convoy-view.js';
import {
  addToConvoy,
  closeConvoy,
  createConvoy,
  landComplete,
  listConvoys,
  lookupConvoy,
  progressOf,
  removeFromConvoy,
  strandedConvoys,
  type ConvoyProgress,
} from '../../convoys/convoy-service.js';
import { planBatch, slingBatch, type TaskInput } from '../../work/convoy-sling.js';
import { spawnConvoy } from '../../polecats/spawn.js';
import { splitList } from '../../beads/bead-input.js';
import { UsageError } from '../../errors.js';
import { yamlLibrary } from '../../ledger/yaml-library.js';
import { plural } from '../../ledger/wording.js';

function progressLine(p: ConvoyProgress): string {
  const icon = p.convoy.status === 'closed' ? '✓' : p.closed === p.total && p.total > 0 ? '●' : '▶';
  return `${icon} ${p.convoy.id}  ${p.convoy.title}  ${p.closed}/${p.total}${p.convoy.status === 'closed' ? `  (${p.convoy.landed_at ? 'landed' : 'closed'})` : ''}`;
}

function printProgress(p: ConvoyProgress): void {
  const c = p.convoy;
  printLine(`🚚 ${c.id}: ${c.title}`);
  printLine(`   status: ${c.status}${c.close_reason ? ` (${c.close_reason})` : ''}   progress: ${p.closed}/${p.total}`);
  if (c.owner) printLine(`   owner: ${c.owner}${c.notify?.length ? `   notify: ${c.notify.join(', ')}` : ''}${c.feed?.length ? `   feed: ${c.feed.join(', ')}` : ''}`);
  const width = p.tracked.reduce((w, t) => Math.max(w, t.id.length), 0);
  for (const t of p.tracked) {
    const icon = t.missing ? '?' : statusIcon(t.status);
    const request = t.request ? `  [${t.request.id} ${t.request.status}${t.request.waiting ? `: ${t.request.waiting}` : ''}]` : '';
    printRow(`   ${icon} ${t.id.padEnd(width)}  ${t.status.padEnd(11)}  ${t.title ?? '(not on the ledger)'}${t.assignee ? `  @${t.assignee}` : ''}${request}`);
  }
}

function progressJson(p: ConvoyProgress): Record<string, unknown> {
  return { ...p.convoy, tracked: p.tracked, completed: p.closed, total: p.total };
}

/** Tasks for `convoy sling` from a YAML or JSON file, or `-` for stdin. */
function tasksFromFile(path: string): unknown {
  let text: string;
  try {
    text = path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const doc = yamlLibrary().parseDocument(text);
    if (doc.errors.length > 0) throw new UsageError(`${path} is neither JSON nor YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    return doc.toJS() as unknown;
  }
}

export function registerConvoy(program: Command): void {
  const convoy = program.command('convoy').description('convoys: batches of beads that land when all their work is done');

  convoy
    .command('create')
    .description('create a convoy tracking beads')
    .argument('<title>', 'what the batch is, e.g. "Release 1.0"')
    .argument('[beads...]', 'beads to track (any unique id prefixes)')
    .option('--owner <addr>', 'who gets the landing mail (default: you)', addressOption('--owner'))
    .option('--notify <addr>', 'also mail this address on landing (repeatable, or comma-separated)', addressList('--notify'))
    .option('--feed <agent>', 'hand the next ready bead to this agent when one closes (repeatable, or comma-separated)', addressList('--feed'))
    .option('-d, --description <text>', 'what the convoy is for')
    .option('--json', 'print the convoy as JSON')
    .action(async (title: string, beads: string[], options: { owner?: string; notify?: string[]; feed?: string[]; description?: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const c = createConvoy(tx, {
            title,
            beads,
            ...(options.owner !== undefined ? { owner: options.owner } : {}),
            notify: splitList(options.notify),
            feed: splitList(options.feed),
            ...(options.description !== undefined ? { description: options.description } : {}),
          });
          return { result: c, message: `convoy create ${c.id}: ${c.title} (${plural((c.tracks ?? []).length, 'bead')})` };
        });
        if (globalsOf(command).json) return printJson(result);
        printLine(`🚚 created ${result.id}: ${result.title} (tracking ${plural((result.tracks ?? []).length, 'bead')})`);
      });
    });

  convoy
    .command('add')
    .description('track more beads (a landed convoy is reopened)')
    .argument('<convoy>', 'convoy id (any unique prefix)')
    .argument('<beads...>', 'beads to track')
    .action(async (query: string, beads: string[], _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const r = addToConvoy(tx, query, beads);
          return { result: r, message: `convoy add ${r.convoy.id}: ${r.added.join(', ') || 'nothing new'}${r.reopened ? ' (reopened)' : ''}` };
        });
        if (result.reopened) printLine(`↺ reopened ${result.convoy.id}`);
        printLine(result.added.length > 0 ? `${result.convoy.id} now tracks ${result.added.join(', ')}` : `${result.convoy.id} already tracks those beads`);
      });
    });

  convoy
    .command('remove')
    .description('stop tracking beads')
    .argument('<convoy>', 'convoy id (any unique prefix)')
    .argument('<beads...>', 'tracked beads to drop')
    .action(async (query: string, beads: string[], _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const r = removeFromConvoy(tx, query, beads);
          return { result: r, message: `convoy remove ${r.convoy.id}: ${r.removed.join(', ')}` };
        });
        printLine(`${result.convoy.id} no longer tracks ${result.removed.join(', ')}`);
      });
    });

  convoy
    .command('status')
    .description('progress of a convoy: each tracked bead with its status and assignee (without an id: every open convoy)')
    .argument('[convoy]', 'convoy id (any unique prefix)')
    .option('--json', 'print the progress as JSON')
    .addHelpText('after', CONVOY_LEGEND)
    .action(async (query: string | undefined, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const convoys = query !== undefined ? [lookupConvoy(view.convoys, query)] : listConvoys(view.convoys);
        const progress = convoys.map((c) => progressOf(view, c));
        if (globalsOf(command).json) return printJson(query !== undefined ? progressJson(progress[0]!) : progress.map(progressJson));
        if (progress.length === 0) return printLine('no open convoys');
        progress.forEach((p, i) => {
          if (i > 0) printLine();
          printProgress(p);
        });
      });
    });

  convoy
    .command('list')
    .description('convoys, open ones by default')
    .option('--all', 'include closed convoys')
    .option('--status <status>', 'only convoys with this status (open or closed)', oneOf('--status', ['open', 'closed'], 'convoy status'))
    .option('--tree', 'show the tracked beads under each convoy')
    .option('-i, --interactive', 'browse them on the terminal: arrow keys move, Enter shows a convoy\'s beads with status and assignee, q quits')
    .option('--json', 'print a JSON array of convoys with their progress')
    .addHelpText('after', CONVOY_LEGEND)
    .action(async (options: { all?: boolean; status?: string; tree?: boolean; interactive?: boolean }, command: Command) => {
      if (options.status !== undefined && !['open', 'closed'].includes(options.status)) {
        throw new UsageError(`invalid convoy status '${options.status}'`, 'use --status open or --status closed');
      }
      if (options.interactive) {
        if (globalsOf(command).json || options.tree) throw new UsageError(`-i is a view for a person: it does not go with ${globalsOf(command).json ? '--json' : '--tree'}`, 'drop one of them');
        if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UsageError('gt convoy list -i needs a terminal (stdin and stdout)', 'drop -i to print the list');
      }
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const progress = listConvoys(view.convoys, options).map((c) => progressOf(view, c));
        if (globalsOf(command).json) return printJson(progress.map(progressJson));
        if (options.interactive && progress.length > 0) return runConvoyView(progress);
        if (progress.length === 0) return printLine(options.all || options.status ? 'no convoys' : 'no open convoys (see --all)');
        for (const p of progress) {
          printRow(progressLine(p));
          if (!options.tree) continue;
          p.tracked.forEach((t, i) => {
            const branch = i === p.tracked.length - 1 ? '└─' : '├─';
            printRow(`   ${branch} ${t.missing ? '?' : statusIcon(t.status)} ${t.id}  ${t.title ?? '(not on the ledger)'}${t.assignee ? `  @${t.assignee}` : ''}`);
          });
        }
      });
    });

  convoy
    .command('check')
    .description('land every complete convoy (or just this one): close it and mail its owner and subscribers')
    .argument('[convoy]', 'convoy id (any unique prefix)')
    .option('--json', 'print the landed convoys as JSON')
    .action(async (query: string | undefined, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const landed = landComplete(tx, query);
          return { result: landed, message: `convoy check: ${landed.length > 0 ? `landed ${landed.map((c) => c.id).join(', ')}` : 'nothing to land'}` };
        });
        if (globalsOf(command).json) return printJson(result);
        if (result.length === 0) return printLine('nothing to land');
        for (const c of result) printLine(`🚚 landed ${c.id}: ${c.title}`);
      });
    });

  convoy
    .command('close')
    .description('close a convoy by hand (refused while tracked beads are open, unless --force)')
    .argument('<convoy>', 'convoy id (any unique prefix)')
    .option('-f, --force', 'close even though tracked beads are still open')
    .option('--reason <text>', 'why it is closed')
    .action(async (query: string, options: { force?: boolean; reason?: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const c = closeConvoy(tx, query, options);
          return { result: c, message: `convoy close ${c.id}: ${c.close_reason ?? ''}` };
        });
        printLine(`closed ${result.id}: ${result.title}`);
      });
    });

  convoy
    .command('stranded')
    .description('open convoys with ready beads that nobody is working on')
    .option('--json', 'print a JSON array')
    .action(async (_options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const stranded = strandedConvoys(await readView(ledger));
        if (globalsOf(command).json) return printJson(stranded);
        if (stranded.length === 0) return printLine('no stranded convoys');
        for (const s of stranded) {
          printLine(`${s.id}  ${s.title}  ${s.ready_count} ready of ${s.tracked_count}: ${s.ready_beads.join(', ')}`);
          printLine(`   sling one: gt sling ${s.ready_beads[0]} <agent>`);
        }
      });
    });

  convoy
    .command('sling')
    .description('create beads and one convoy tracking them in one commit, and hook the first ready ones on agents')
    .argument('<title>', 'title of the convoy')
    .option('--task <task>', 'a task as "title" or "title: description" (repeatable)', collect)
    .option('--file <path>', 'tasks from a YAML or JSON list (strings or {title, description, priority, type, labels}); - for stdin')
    .option('--to <agent>', 'hook one ready bead on this agent (repeatable, or comma-separated); they also become feed targets', addressList('--to'))
    .option('--owner <addr>', 'who gets the landing mail (default: you)', addressOption('--owner'))
    .option('--notify <addr>', 'also mail this address on landing (repeatable, or comma-separated)', addressList('--notify'))
    .option('--spawn <count>', 'spawn this many polecats (as gt sling --spawn: sandbox, hook, loop) with the first ready beads; they become the feed targets, fed the next beads as they finish; beyond polecats.max they queue', countOption('--spawn'))
    .option('--json', 'print the convoy, beads and hooks as JSON')
    .action(async (title: string, options: { task?: string[]; file?: string; to?: string[]; owner?: string; notify?: string[]; spawn?: number }, command: Command) => {
      if (options.spawn !== undefined && options.to !== undefined) throw new UsageError('--spawn and --to both say who works the convoy', 'give one of them');
      const fromFile: unknown = options.file !== undefined ? tasksFromFile(options.file) : [];
      const tasks: TaskInput[] = planBatch(options.task ?? [], fromFile, options.file ?? '');
      if (options.spawn !== undefined) {
        const count = options.spawn;
        await withLedger(command, async (ledger) => {
          const result = await spawnConvoy(
            ledger,
            { title, tasks, ...(options.owner !== undefined ? { owner: options.owner } : {}), notify: splitList(options.notify) },
            count,
            gtEntry(),
          );
          if (globalsOf(command).json) return printJson(result);
          printLine(`🚚 ${result.convoy.id}: ${result.convoy.title} with ${plural(result.beads.length, 'bead')}`);
          for (const b of result.beads) printLine(`   ○ ${b.id}  ${b.title}`);
          for (const p of result.polecats) {
            printLine(`   ⚓ ${p.bead} hooked on polecat ${p.polecat}${p.queued ? ' (queued: polecats.max loops run; gt witness starts it)' : `, loop ${p.pid}`}`);
          }
          printLine(`   the observer feeds the other beads to ${result.polecats.map((p) => p.polecat).join(', ')} as they finish; follow with gt polecat list`);
        });
        return;
      }
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const r = slingBatch(tx, {
            title,
            tasks,
            agents: splitList(options.to),
            ...(options.owner !== undefined ? { owner: options.owner } : {}),
            notify: splitList(options.notify),
          });
          return { result: r, message: `convoy sling ${r.convoy.id}: ${r.convoy.title} (${plural(r.beads.length, 'bead')}${r.hooked.length > 0 ? `, hooked ${r.hooked.map((h) => `${h.bead} on ${h.agent}`).join(', ')}` : ''})` };
        });
        if (globalsOf(command).json) return printJson(result);
        printLine(`🚚 ${result.convoy.id}: ${result.convoy.title} with ${plural(result.beads.length, 'bead')}`);
        for (const b of result.beads) printLine(`   ○ ${b.id}  ${b.title}`);
        for (const h of result.hooked) printLine(`   ⚓ ${h.bead} hooked on ${h.agent}`);
        for (const agent of result.busy) printLine(`   ${agent} is busy: it gets this convoy's work when its hook is free`);
      });
    });
}
