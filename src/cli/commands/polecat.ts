import type { Command } from 'commander';
import { withLedger, globalsOf, readView } from '../context.js';
import { printJson, printLine, terminalSafe } from '../output.js';
import { peekPolecat, polecatList } from '../../polecats/list.js';
import { UsageError } from '../../errors.js';

function lineCount(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`-n takes a whole number of lines, got '${raw}'`);
  return Number(raw);
}

export function registerPolecat(program: Command): void {
  const polecat = program.command('polecat').description('polecats: agents gt runs in sandboxes of their own (gt sling --spawn)');
  polecat
    .command('list', { isDefault: true })
    .description('polecats with state (working: session running here; idle; dead: session gone, work still hooked), bead, sandbox, pid, start')
    .option('--json', 'print a JSON array')
    .action(async (_options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const list = polecatList(await readView(ledger));
        if (globalsOf(command).json) return printJson(list);
        if (list.length === 0) return printLine('no polecats yet (gt sling <bead> --spawn)');
        const width = list.reduce((w, p) => Math.max(w, p.name.length), 0);
        for (const p of list) {
          printLine(terminalSafe(`${p.name.padEnd(width)}  ${p.state.padEnd(7)}  ${p.bead ?? '-'}  ${p.pid !== undefined ? `pid ${p.pid}` : '-'}  ${p.started ? `started ${p.started.replace('T', ' ').slice(0, 16)}` : ''}  ${p.worktree ?? ''}`.trimEnd()));
        }
      });
    });

  program
    .command('peek')
    .description("the end of a polecat's session log")
    .argument('<name>', 'polecat name')
    .option('-n, --lines <count>', 'how many lines (default 20)', '20')
    .action(async (name: string, options: { lines: string }, command: Command) => {
      const lines = lineCount(options.lines);
      await withLedger(command, async (ledger) => {
        for (const line of peekPolecat(await readView(ledger), ledger.repo.paths.commonDir, name, lines)) printLine(terminalSafe(line));
      });
    });
}
