import type { Command } from 'commander';
import { globalsOf, withLedger, gtEntry } from '../context.js';
import { printJson, printLine, terminalSafe, formatTime } from '../output.js';
import { runWitness, witnessPass } from '../../polecats/witness.js';
import { secondsOption } from '../options.js';

/** Log lines of a long-running process start with the wall-clock time, in human output's one format. */
const clock = (): string => formatTime(Date.now());

export function registerWitness(program: Command): void {
  program
    .command('witness')
    .description('watch the polecats of this machine: restart a dead session (same sandbox, same bead), nudge a stalled one (no activity for witness.stall_after) once and restart it if it stays stalled that long after, mark one stuck after witness.max_restarts and mail the overseer, start queued ones while fewer than polecats.max run; loops until Ctrl-C')
    .option('--once', 'one pass, then exit')
    .option('--interval <seconds>', 'seconds between passes (without --once)', secondsOption('--interval'), 5)
    .option('--json', 'print the actions as JSON (an array with --once, else one object per line)')
    .action(async (options: { once?: boolean; interval: number }, command: Command) => {
      const json = globalsOf(command).json === true;
      const entry = gtEntry();
      await withLedger(command, async (ledger) => {
        if (options.once) {
          const report = await witnessPass(ledger, { gtEntry: entry });
          if (json) return printJson(report.actions);
          if (report.actions.length === 0) return printLine('nothing to do');
          for (const a of report.actions) printLine(terminalSafe(a.line));
          return;
        }
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const intervalMs = Math.round(options.interval * 1000);
        if (!json) printLine(`${clock()} witness: a pass every ${intervalMs / 1000} s; Ctrl-C stops`);
        await runWitness(ledger, {
          gtEntry: entry,
          intervalMs,
          signal: stop.signal,
          onAction: (action) => (json ? process.stdout.write(`${JSON.stringify(action)}\n`) : printLine(terminalSafe(`${clock()} ${action.line}`))),
          onError: (error) => process.stderr.write(`${clock()} gt: witness pass failed: ${terminalSafe(error.message)}\n`),
        });
        if (!json) printLine(`${clock()} stopped`);
      });
    });
}
