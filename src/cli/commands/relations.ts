import type { Command } from 'commander';
import { withLedger, globalsOf, readView } from '../context.js';
import { formatTime, printJson, printLine, printRow, statusIcon, STATUS_LEGEND } from '../output.js';
import { addComment, addDependency, findBead, lookupBead, removeDependency, updateBead } from '../../beads/bead-service.js';
import { dependencyTree, type DepTreeNode } from '../../beads/graph.js';
import { splitList } from '../../beads/bead-input.js';
import { DEP_TYPES } from '../../beads/bead.js';
import { depTypeOption } from '../options.js';

function printTree(node: DepTreeNode, prefix = '', last = true, root = true): void {
  const head = root ? '' : `${prefix}${last ? '└─ ' : '├─ '}`;
  const detail = node.missing ? '(missing)' : `${node.title} (${node.status})${node.repeated ? ' (shown above)' : ''}`;
  printRow(`${head}${node.missing ? '?' : statusIcon(node.status)} ${node.type ? `${node.type} ` : ''}${node.id}  ${detail}`);
  const childPrefix = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
  node.children.forEach((child, i) => printTree(child, childPrefix, i === node.children.length - 1, false));
}

export function registerRelations(program: Command): void {
  const dep = program.command('dep').description('dependencies between beads: <id> depends on <target>');
  dep
    .command('add')
    .description('make <id> depend on <target> (for blocks: <target> must close before <id> is ready)')
    .argument('<id>', 'the dependent bead')
    .argument('<target>', 'the bead it depends on')
    .option('--type <type>', DEP_TYPES.join(', '), depTypeOption, 'blocks')
    .option('--json', 'print the updated bead as JSON')
    .action(async (id: string, target: string, options: { type: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const outcome = addDependency(tx, id, target, options.type);
          const targetId = findBead(tx, target).id;
          return { result: { ...outcome, targetId }, message: `dep ${outcome.bead.id}: ${options.type} ${targetId}` };
        });
        if (globalsOf(command).json) return printJson(result.bead);
        printLine(result.changed.length === 0 ? `${result.bead.id} already depends on ${result.targetId} (${options.type})` : `${result.bead.id} now depends on ${result.targetId} (${options.type})`);
      });
    });
  dep
    .command('remove')
    .alias('rm')
    .description('remove the dependency of <id> on <target>')
    .argument('<id>', 'the dependent bead')
    .argument('<target>', 'the bead it depends on')
    .option('--type <type>', 'only this type of dependency (default: all types)', depTypeOption)
    .option('--json', 'print the updated bead as JSON')
    .action(async (id: string, target: string, options: { type?: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const outcome = removeDependency(tx, id, target, options.type);
          return { result: outcome, message: `dep ${outcome.bead.id}: remove ${target}` };
        });
        if (globalsOf(command).json) return printJson(result.bead);
        printLine(`removed the dependency of ${result.bead.id} on ${target}`);
      });
    });
  dep
    .command('tree')
    .description('what a bead depends on, recursively')
    .argument('<id>', 'bead id (any unique prefix)')
    .option('--json', 'print the tree as JSON')
    .addHelpText('after', STATUS_LEGEND)
    .action(async (id: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const tree = dependencyTree(view.beads, lookupBead(view.beads, view.broken.beads, id).id);
        if (globalsOf(command).json) return printJson(tree);
        printTree(tree);
      });
    });

  const label = program.command('label').description('labels on beads');
  for (const verb of ['add', 'remove'] as const) {
    label
      .command(verb)
      .description(`${verb} labels ${verb === 'add' ? 'to' : 'from'} a bead`)
      .argument('<id>', 'bead id (any unique prefix)')
      .argument('<labels...>', 'labels (space- or comma-separated)')
      .option('--json', 'print the updated bead as JSON')
      .action(async (id: string, labels: string[], _options: unknown, command: Command) => {
        await withLedger(command, async (ledger) => {
          const list = splitList(labels);
          const { result } = await ledger.write((tx) => {
            const outcome = updateBead(tx, id, verb === 'add' ? { addLabels: list } : { removeLabels: list });
            return { result: outcome, message: `label ${outcome.bead.id}: ${verb} ${list.join(', ')}` };
          });
          if (globalsOf(command).json) return printJson(result.bead);
          printLine(`${result.bead.id} labels: ${result.bead.labels.join(', ') || '(none)'}`);
        });
      });
  }
  label
    .command('list')
    .description('every label in use, with how many open beads carry it')
    .option('--json', 'print the counts as JSON')
    .action(async (_options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const counts = new Map<string, number>();
        for (const b of view.beads.values()) for (const l of b.labels) counts.set(l, (counts.get(l) ?? 0) + (b.status === 'closed' ? 0 : 1));
        const sorted = Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1)));
        if (globalsOf(command).json) return printJson(sorted);
        if (counts.size === 0) return printLine('no labels in use');
        for (const [l, n] of Object.entries(sorted)) printLine(`${l}  ${n}`);
      });
    });

  const comment = program.command('comment').description('add or list comments on a bead');
  comment
    .command('add')
    .description('add a comment')
    .argument('<id>', 'bead id (any unique prefix)')
    .argument('<text...>', 'the comment')
    .option('--json', 'print the comment as JSON')
    .action(async (id: string, words: string[], _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const outcome = addComment(tx, id, words.join(' '));
          return { result: outcome, message: `comment ${outcome.bead.id}` };
        });
        if (globalsOf(command).json) printJson(result.comment);
        else printLine(`commented on ${result.bead.id}`);
      });
    });
  comment
    .command('list')
    .description('list the comments on a bead, oldest first')
    .argument('<id>', 'bead id (any unique prefix)')
    .option('--json', 'print the comments as JSON')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const bead = lookupBead(view.beads, view.broken.beads, id);
        if (globalsOf(command).json) return printJson(bead.comments);
        if (bead.comments.length === 0) return printLine(`${bead.id} has no comments`);
        for (const c of bead.comments) printLine(`${c.author}, ${formatTime(c.at)}:\n  ${c.text.split('\n').join('\n  ')}`);
      });
    });
}
