import type { Command } from 'commander';
import { withLedger, globalsOf, readView } from '../context.js';
import { printJson, printLine, terminalSafe } from '../output.js';
import { peekPolecat, polecatList } from '../../polecats/list.js';
import { UsageError } from '../../errors.js';
import { settingsOf } from '../../settings/settings-service.js';
import { gcPolecats, removePolecat, stopPolecat } from '../../polecats/remove.js';

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
        const at = (iso: string | undefined): string => (iso ? iso.replace('T', ' ').slice(0, 16) : '-');
        for (const p of list) {
          printLine(
            terminalSafe(`${p.name.padEnd(width)}  ${p.state.padEnd(7)}  ${p.bead ?? '-'}  ${p.pid !== undefined ? `pid ${p.pid}` : '-'}  ${p.started ? `started ${at(p.started)}` : ''}  active ${at(p.last_activity)}  ${p.worktree ?? ''}`.trimEnd()),
          );
        }
      });
    });

  polecat
    .command('stop')
    .description("end a polecat's running session (SIGTERM to its process group, SIGKILL if it lingers); its hook and sandbox stay as they are")
    .argument('<name>', 'polecat name')
    .option('--json', 'print {polecat, stopped, pid, signal, hooked, worktree}')
    .action(async (name: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const result = await stopPolecat(ledger, name);
        if (globalsOf(command).json) return printJson(result);
        const work = result.hooked.length > 0 ? `${result.hooked.join(', ')} stays hooked on ${name}` : `nothing is hooked on ${name}`;
        const sandbox = result.worktree !== undefined ? `; its sandbox stays at ${result.worktree}` : '';
        if (!result.stopped) return printLine(terminalSafe(`${name} has no live session on this machine; ${work}${sandbox}`));
        printLine(terminalSafe(`stopped ${name}'s session (pid ${result.pid}, ${result.signal}); ${work}${sandbox}`));
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
        if (result.stopped) printLine(`stopped ${name}'s session (pid ${result.stopped.pid}, ${result.stopped.signal})`);
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
