import type { Command } from 'commander';
import { withLedger, globalsOf, readView, gtEntry } from '../context.js';
import { formatTime, printJson, printLine, terminalSafe } from '../output.js';
import { peekPolecat, polecatList } from '../../polecats/list.js';
import { UsageError } from '../../errors.js';
import { settingsOf } from '../../settings/settings-service.js';
import { gcPolecats, removePolecat, stopPolecat } from '../../polecats/remove.js';
import { runPolecatLoop } from '../../polecats/loop.js';
import { requestHandoff } from '../../polecats/handoff.js';

function lineCount(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`-n takes a whole number of lines, got '${raw}'`);
  return Number(raw);
}

export function registerPolecat(program: Command): void {
  const polecat = program.command('polecat').description('polecats: agents gt runs in sandboxes of their own (gt sling --spawn)');
  polecat
    .command('list', { isDefault: true })
    .description(
      'polecats with state (working: session running here; stalled: running, work hooked, no activity for witness.stall_after; queued: waiting for a slot; stuck: the witness gave up; idle; dead: session gone, work still hooked), bead, pid, start, last activity (session start, ledger write, sandbox commit or log output, the latest), sandbox',
    )
    .option('--json', 'print a JSON array of {name, state, bead, worktree, pid, host, started, restarts, last_activity, last_activity_source}')
    .action(async (_options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const settings = settingsOf(view, { gitDir: ledger.repo.paths.gitDir });
        const list = polecatList(view, { commonDir: ledger.repo.paths.commonDir, now: ledger.now(), stallAfterMs: settings.witness.stallAfterMs });
        if (globalsOf(command).json) return printJson(list);
        if (list.length === 0) return printLine('no polecats yet (gt sling <bead> --spawn)');
        const width = list.reduce((w, p) => Math.max(w, p.name.length), 0);
        const at = (iso: string | undefined): string => formatTime(iso) || '-';
        for (const p of list) {
          printLine(
            terminalSafe(`${p.name.padEnd(width)}  ${p.state.padEnd(7)}  ${p.bead ?? '-'}  ${p.pid !== undefined ? `pid ${p.pid}` : '-'}  ${p.started ? `started ${at(p.started)}` : ''}  active ${at(p.last_activity)}  ${p.worktree ?? ''}`.trimEnd()),
          );
        }
      });
    });

  polecat
    .command('run')
    .description(
      "run a polecat's propulsion loop in the foreground: a session (runtime.command) for the work on its hook, then the next, restarting one that made no progress (polecats.backoff, up to witness.max_restarts), until its hook stays empty for polecats.idle_exit; gt sling --spawn and gt witness start it detached, and you may run it in your own terminal",
    )
    .argument('<name>', 'polecat name (it needs a sandbox: gt sling <bead> --spawn --name <name>)')
    .option('--json', 'print {polecat, reason, sessions} when the loop ends')
    .action(async (name: string, _options: unknown, command: Command) => {
      const json = globalsOf(command).json === true;
      const entry = gtEntry();
      await withLedger(command, async (ledger) => {
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const stamp = (): string => new Date().toISOString();
        const exit = await runPolecatLoop(ledger, name, { gtEntry: entry, signal: stop.signal, say: (line) => (json ? undefined : printLine(terminalSafe(`${stamp()} ${line}`))) });
        if (json) printJson(exit);
      });
    });

  polecat
    .command('stop')
    .description("end a polecat's loop and its agent session (SIGTERM to each process group, SIGKILL if one lingers); its hook and sandbox stay as they are, and the witness leaves it alone")
    .argument('<name>', 'polecat name')
    .option('--json', 'print {polecat, stopped, pid, signal, hooked, worktree}')
    .action(async (name: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const result = await stopPolecat(ledger, name);
        if (globalsOf(command).json) return printJson(result);
        const work = result.hooked.length > 0 ? `${result.hooked.join(', ')} stays hooked on ${name}` : `nothing is hooked on ${name}`;
        const sandbox = result.worktree !== undefined ? `; its sandbox stays at ${result.worktree}` : '';
        if (!result.stopped) return printLine(terminalSafe(`${name} has no live loop or session on this machine; ${work}${sandbox}`));
        const ended = [
          result.processes?.loop ? `loop ${result.processes.loop.pid} (${result.processes.loop.signal})` : '',
          result.processes?.session ? `session ${result.processes.session.pid} (${result.processes.session.signal})` : '',
        ].filter((x) => x !== '');
        printLine(terminalSafe(`stopped ${name}'s ${ended.join(' and ')}; ${work}${sandbox}`));
      });
    });

  polecat
    .command('remove')
    .description(
      "remove a polecat's sandbox (worktree) and branch polecat/<name>, unslinging its hooked beads back to open; refuses while its session runs or while uncommitted changes or commits not in the main worktree's HEAD would be lost",
    )
    .argument('<name>', 'polecat name')
    .option('--force', 'stop its session and save what would be lost to refs/gt/rescue/<name>/<UTC time> first, then remove')
    .option('--json', 'print {polecat, stopped, rescue, uncommitted, commits, base, worktree, branch, unslung, …}')
    .action(async (name: string, options: { force?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const result = await removePolecat(ledger, name, options.force ? { force: true } : {});
        if (globalsOf(command).json) return printJson(result);
        if (result.stopped) printLine(`stopped ${name} (pid ${result.stopped.pid}, ${result.stopped.signal})`);
        if (result.rescue) {
          const what = [
            ...(result.uncommitted.length > 0 ? [`${result.uncommitted.length} uncommitted change${result.uncommitted.length === 1 ? '' : 's'}`] : []),
            ...(result.commits.length > 0 ? [`${result.commits.length} commit${result.commits.length === 1 ? '' : 's'} not in ${result.base}`] : []),
          ].join(' and ');
          printLine(terminalSafe(`saved ${what} to ${result.rescue.ref} (${result.rescue.commit.slice(0, 12)})`));
        }
        const gone = [result.worktreeRemoved ? `sandbox ${result.worktree}` : '', result.branchDeleted ? `branch ${result.branch}` : ''].filter((x) => x !== '').join(' and ');
        printLine(terminalSafe(`removed ${name}: ${gone || 'nothing left on disk'}`));
        if (result.unslung.length > 0) printLine(terminalSafe(`unslung ${result.unslung.join(', ')}: open again`));
      });
    });

  polecat
    .command('gc')
    .description('remove every idle polecat sandbox (no live session, nothing hooked) whose work is merged (nothing uncommitted, no commits beyond the main worktree\'s HEAD); never forces')
    .option('--dry-run', 'say what would be removed, remove nothing')
    .option('--json', 'print {dryRun, removed: [{polecat, worktree, branch}], kept: [{polecat, why}]}')
    .action(async (options: { dryRun?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const result = await gcPolecats(ledger, options.dryRun ? { dryRun: true } : {});
        if (globalsOf(command).json) return printJson(result);
        const verb = result.dryRun ? 'would remove' : 'removed';
        if (result.removed.length === 0) printLine(`no idle merged polecat sandbox to remove`);
        for (const r of result.removed) printLine(terminalSafe(`${verb} ${r.polecat}: ${r.worktree} and ${r.branch}`));
        for (const k of result.kept) printLine(terminalSafe(`kept ${k.polecat}: ${k.why}`));
      });
    });

  program
    .command('handoff')
    .description('run by an agent inside its session: end this session and have its loop start a fresh one with the same hook, the message first in its prime')
    .option('-m, --message <text>', 'what the next session should know (shown first in its prime)')
    .option('--json', 'print {polecat, bead, message, loop, session} before the session ends')
    .action(async (options: { message?: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result, end } = await requestHandoff(ledger, options.message ?? '(no message)');
        const text = globalsOf(command).json
          ? `${process.stdout.isTTY ? JSON.stringify(result, null, 2) : JSON.stringify(result)}\n`
          : terminalSafe(`⇢ ${result.polecat}: handing off${result.bead ? ` ${result.bead}` : ''}; ending session ${result.session}, loop ${result.loop} starts a fresh one\n`);
        // Printed before the session (this process with it) is ended.
        await new Promise<void>((done) => process.stdout.write(text, () => done()));
        end();
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
