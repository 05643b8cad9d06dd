import { Option, type Command } from 'commander';
import { globalsOf, withLedger, gtEntry } from '../context.js';
import { printJson, printLine, terminalSafe, formatTime } from '../output.js';
import { observe } from '../../observer/observe.js';
import { watchRepository } from '../../observer/watch.js';
import { runWitness } from '../../polecats/witness.js';
import { durationOption, secondsOption } from '../options.js';
import { runRefinery } from '../../refinery/refinery.js';
import { recordRunning, type LoopName } from '../../observer/running.js';
import { settingsOf } from '../../settings/settings-service.js';

/** Log lines of a long-running process start with the wall-clock time, in human output's one format. */
const clock = (): string => formatTime(Date.now());

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
    .description(
      'run the observer whenever a branch moves (the ledger, an agent branch, a code branch, a remote-tracking branch after git fetch), sweep stranded convoys every 30 s, and run the witness (gt witness: restart dead polecat sessions, nudge then restart stalled ones, start queued ones, escalate stuck ones) every 5 s, and with refinery.target set the refinery (gt refinery run); one line per action; stop with Ctrl-C',
    )
    .option('--sweep-every <seconds>', 'seconds between sweeps for stranded convoys', secondsOption('--sweep-every'), 30)
    .option('--debounce <seconds>', 'quiet time after a ref moves before a pass starts', secondsOption('--debounce'), 0.03)
    .addOption(new Option('--witness-interval <duration>', 'time between witness passes (e.g. 5s, 0.5s, 1m)').argParser(durationOption('--witness-interval')).default(5000, '5s'))
    .option('--no-witness', 'do not run the witness (only the observer)')
    .action(async (options: { sweepEvery: number; debounce: number; witnessInterval: number; witness: boolean }, command: Command) => {
      const sweepMs = Math.round(options.sweepEvery * 1000);
      const debounceMs = Math.round(options.debounce * 1000);
      const cwd = globalsOf(command).cwd ?? process.cwd();
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      // Which loops this process runs, recorded while it runs for gt status and gt dashboard.
      const { loops, stateDir } = await withLedger(command, async (ledger) => {
        const target = settingsOf(await ledger.view(), { gitDir: ledger.repo.paths.gitDir }).refinery.target;
        const loops: LoopName[] = ['observer', ...(options.witness && ledger.actor.isOverseer ? (['witness'] as const) : []), ...(target ? (['refinery'] as const) : [])];
        return { loops, stateDir: ledger.repo.stateDir };
      });
      let unrecord = recordRunning(stateDir, 'gt watch', loops);
      // With refinery.target set, the refinery works the merge queue beside the observer and the witness.
      const refinery = runRefinery(cwd, { ifConfigured: true, stopped: () => stop.signal.aborted, onAction: (action) => printLine(`${clock()} ${terminalSafe(action.line)}`) }).catch((error: Error) => {
        process.stderr.write(`${clock()} gt: refinery stopped: ${terminalSafe(error.message)}\n`);
        // The others go on without it: the record says so.
        unrecord();
        if (!stop.signal.aborted) unrecord = recordRunning(stateDir, 'gt watch', loops.filter((l) => l !== 'refinery'));
      });
      const observer = (witnessing: string): Promise<void> => {
        printLine(`${clock()} watching (sweep every ${sweepMs / 1000} s${witnessing}); Ctrl-C stops`);
        return watchRepository(cwd, {
          sweepMs,
          debounceMs,
          signal: stop.signal,
          onAction: (action) => printLine(`${clock()} ${action.line}`),
          onError: (error) => process.stderr.write(`${clock()} gt: observer pass failed: ${terminalSafe(error.message)}\n`),
        });
      };
      try {
        if (!options.witness) await observer('');
        else {
          // The observer and the witness side by side, one stop for both: neither module knows the other.
          await withLedger(command, async (ledger) => {
            if (!ledger.actor.isOverseer) {
              printLine(`${clock()} witness not run: only the overseer runs it (this checkout acts as ${ledger.actor.name}; --no-witness says so quietly)`);
              return observer('');
            }
            await Promise.all([
              // The observer failing to start ends the witness too, rather than leaving it running alone.
              observer(`, witness every ${options.witnessInterval / 1000} s`).catch((error: unknown) => {
                stop.abort();
                throw error;
              }),
              runWitness(ledger, {
                gtEntry: gtEntry(),
                intervalMs: options.witnessInterval,
                signal: stop.signal,
                onAction: (action) => printLine(terminalSafe(`${clock()} ${action.line}`)),
                onError: (error) => process.stderr.write(`${clock()} gt: witness pass failed: ${terminalSafe(error.message)}\n`),
              }),
            ]);
          });
        }
      } finally {
        // However the observer ends, the refinery ends with it.
        stop.abort();
        await refinery;
        unrecord();
      }
      printLine(`${clock()} stopped`);
    });
}
