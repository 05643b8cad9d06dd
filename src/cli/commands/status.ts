import { Option, type Command } from 'commander';
import { globalsOf, withLedger } from '../context.js';
import { printJson, printLine, terminalSafe, warnProblems } from '../output.js';
import { readTown } from '../../town/town.js';
import { townText } from '../town-text.js';
import { watchRefs } from '../../observer/watch.js';
import { startDashboard, openInBrowser } from '../../dashboard/server.js';
import { secondsOption, valueOf } from '../options.js';
import { UsageError } from '../../errors.js';

function port(raw: string): number {
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n > 65535) throw new UsageError(`takes a port number from 0 to 65535 (0: any free port), not '${raw}'`);
  return n;
}

/** Resolves when SIGINT or SIGTERM arrives: long-running views end cleanly (exit 0) on either. */
function stopSignal(): AbortController {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return stop;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'the town at a glance: what needs you first (escalation mail, stuck or dead polecats, conflicting or failed merges, stranded convoys), open convoys with progress, agents with state and hooked work, the merge queue, unread mail, and whether the observer, witness and refinery run here',
    )
    .option('--json', 'print the town as JSON: {head, now, convoys, agents, merge_queue, mail, loops, needs, events, commits}')
    .option('--watch', 'redraw whenever a branch moves (the ledger, an agent branch); Ctrl-C stops')
    .option('--debounce <seconds>', 'with --watch: quiet time after a ref moves before redrawing', secondsOption('--debounce'), 0.1)
    .action(async (options: { watch?: boolean; debounce: number }, command: Command) => {
      const json = globalsOf(command).json === true;
      if (!options.watch && command.getOptionValueSource('debounce') === 'cli') throw new UsageError('--debounce goes with --watch: add --watch, or leave --debounce out');
      await withLedger(command, async (ledger) => {
        const show = async (): Promise<void> => {
          const { town, view } = await readTown(ledger);
          warnProblems(view.problems);
          if (json) return printJson(town);
          process.stdout.write(townText(town, process.stdout.columns ?? 100));
        };
        if (!options.watch) return show();
        const stop = stopSignal();
        let frames = 0;
        await watchRefs(globalsOf(command).cwd ?? process.cwd(), {
          debounceMs: Math.round(options.debounce * 1000),
          signal: stop.signal,
          onError: (error) => process.stderr.write(`gt: status failed: ${terminalSafe(error.message)}\n`),
          pass: async () => {
            // On a terminal each frame replaces the last; in a pipe frames follow each other, separated.
            if (process.stdout.isTTY && !json) process.stdout.write('\x1b[H\x1b[2J');
            else if (frames > 0 && !json) printLine('');
            frames++;
            await show();
          },
        });
      });
    });

  program
    .command('dashboard')
    .description(
      'serve a live web page of the town (convoys, polecats by activity, the merge queue, a feed of events), pushed to the browser by server-sent events whenever a branch moves; read-only; stop with Ctrl-C',
    )
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').argParser(valueOf('--port', port)).default(8080))
    .option('--bind <address>', 'address to listen on (another than 127.0.0.1 lets other machines read your town)', '127.0.0.1')
    .option('--open', 'open the page in a browser (xdg-open)')
    .option('--json', 'print {url, pid} once listening, as JSON')
    .action(async (options: { port: number; bind: string; open?: boolean }, command: Command) => {
      const stop = stopSignal();
      await withLedger(command, async (ledger) => {
        const dashboard = await startDashboard(ledger, {
          cwd: globalsOf(command).cwd ?? process.cwd(),
          port: options.port,
          bind: options.bind,
          signal: stop.signal,
          onError: (error) => process.stderr.write(`gt: dashboard: ${terminalSafe(error.message)}\n`),
        });
        if (globalsOf(command).json) printJson({ url: dashboard.url, pid: process.pid });
        else printLine(`gt dashboard: ${dashboard.url}  (read-only; Ctrl-C stops)`);
        if (options.open) {
          const how = openInBrowser(dashboard.url);
          if (!how) process.stderr.write(`gt: no xdg-open on this machine: open ${dashboard.url} in a browser yourself\n`);
        }
        await dashboard.done;
      });
    });
}
