import type { Command } from 'commander';
import { globalsOf } from '../context.js';
import { printJson, printLine, terminalSafe } from '../output.js';
import { observe } from '../../observer/observe.js';
import { watchRepository } from '../../observer/watch.js';
import { secondsOption } from '../options.js';

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

export function registerObserver(program: Command): void {
  program
    .command('observe')
    .description('one observer pass: merge agent branches, then for each newly closed bead land its convoys or feed their next ready bead')
    .option('--sweep', 'also land complete convoys and feed stranded ones, whatever closed')
    .option('--json', 'print the actions as JSON')
    .action(async (options: { sweep?: boolean }, command: Command) => {
      const report = await observe(globalsOf(command).cwd ?? process.cwd(), { ...(options.sweep ? { sweep: true } : {}) });
      if (globalsOf(command).json) return printJson(report);
      if (report.actions.length === 0) return printLine('nothing to do');
      for (const a of report.actions) printLine(a.line);
    });

  program
    .command('watch')
    .description('run the observer whenever the ledger or an agent branch moves, and sweep stranded convoys every 30 s; stop with Ctrl-C')
    .option('--sweep-every <seconds>', 'seconds between sweeps for stranded convoys', secondsOption('--sweep-every'), 30)
    .option('--debounce <seconds>', 'quiet time after a ref moves before a pass starts', secondsOption('--debounce'), 0.03)
    .action(async (options: { sweepEvery: number; debounce: number }, command: Command) => {
      const sweepMs = Math.round(options.sweepEvery * 1000);
      const debounceMs = Math.round(options.debounce * 1000);
      const cwd = globalsOf(command).cwd ?? process.cwd();
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      printLine(`${clock()} watching (sweep every ${sweepMs / 1000} s); Ctrl-C stops`);
      await watchRepository(cwd, {
        sweepMs,
        debounceMs,
        signal: stop.signal,
        onAction: (action) => printLine(`${clock()} ${action.line}`),
        onError: (error) => process.stderr.write(`${clock()} gt: observer pass failed: ${terminalSafe(error.message)}\n`),
      });
      printLine(`${clock()} stopped`);
    });
}
