import type { Command } from 'commander';
import { globalsOf, readView, withLedger } from '../context.js';
import { printJson, printLine, formatTime, terminalSafe } from '../output.js';
import { runRefinery } from '../../refinery/refinery.js';
import { secondsOption } from '../options.js';
import type { MergeRequest } from '../../mrs/mr.js';
import { lookupMr, retryRequest } from '../../mrs/mr-service.js';
import { queueOrder, rejectAndHandBack } from '../../work/merge-queue.js';
import { recordRunning } from '../../observer/running.js';

/** Log lines of a long-running process start with the wall-clock time, in human output's one format. */
const clock = (): string => formatTime(Date.now());

function requestLine(mr: MergeRequest, width: number): string {
  const why = mr.waiting ? `  (waiting: ${mr.waiting})` : mr.status === 'conflict' && mr.conflict_bead ? `  (resolve: ${mr.conflict_bead})` : '';
  return `${mr.id.padEnd(width)}  ${mr.status.padEnd(8)}  P${mr.priority}  ${mr.bead}  ${mr.branch} → ${mr.target}  @${mr.agent}  attempts ${mr.attempts}${why}`;
}

/** The queue first, in the order the refinery takes it; then the rest, newest first. */
function listed(mrs: ReadonlyMap<string, MergeRequest>, queue: MergeRequest[], all: boolean): MergeRequest[] {
  const rest = [...mrs.values()]
    .filter((m) => m.status !== 'queued' && (all || (m.status !== 'merged' && m.status !== 'rejected')))
    .sort((a, b) => (a.updated_at > b.updated_at ? -1 : a.updated_at < b.updated_at ? 1 : a.id < b.id ? -1 : 1));
  return [...queue, ...rest];
}

export function registerRefinery(program: Command): void {
  const refinery = program.command('refinery').description('the refinery: merges submitted branches into refinery.target after testing them');
  refinery
    .command('run')
    .description('merge queued requests in order (priority, convoy age, request age) in a worktree of its own, run refinery.test_command, and move the target by compare-and-swap; several queued requests are tested as one batch, split in halves when it fails; loops until Ctrl-C')
    .option('--once', 'work through what is queued now, then exit')
    .option('--interval <seconds>', 'seconds between looks at the queue when it is empty or waiting (without --once)', secondsOption('--interval'), 2)
    .option('--json', 'print the actions as JSON (an array with --once, else one object per line)')
    .action(async (options: { once?: boolean; interval: number }, command: Command) => {
      const json = globalsOf(command).json === true;
      const cwd = globalsOf(command).cwd ?? process.cwd();
      if (options.once) {
        const actions = await runRefinery(cwd, { once: true });
        if (json) return printJson(actions);
        if (actions.length === 0) return printLine('nothing queued');
        for (const a of actions) printLine(terminalSafe(a.line));
        return;
      }
      let stopped = false;
      const onSignal = (): void => {
        stopped = true;
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      if (!json) printLine(`${clock()} refinery: watching the merge queue; Ctrl-C stops`);
      const unrecord = await withLedger(command, async (ledger) => recordRunning(ledger.repo.stateDir, 'gt refinery run', ['refinery']));
      try {
        await runRefinery(cwd, {
          pollMs: Math.round(options.interval * 1000),
          stopped: () => stopped,
          onAction: (action) => (json ? process.stdout.write(`${JSON.stringify(action)}\n`) : printLine(terminalSafe(`${clock()} ${action.line}`))),
        });
      } finally {
        unrecord();
      }
    });

  const mq = program.command('mq').description('the merge queue: requests submitted by gt done, waiting for (or done by) the refinery');
  mq.command('list', { isDefault: true })
    .description('merge requests: the queue in merge order, then the others (conflict, failed, merging); --all adds merged and rejected ones')
    .option('--all', 'also show merged and rejected requests')
    .option('--json', 'print a JSON array')
    .action(async (options: { all?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const view = await readView(ledger);
        const rows = listed(view.mrs, queueOrder(view), options.all === true);
        if (globalsOf(command).json) return printJson(rows);
        if (rows.length === 0) return printLine(options.all ? 'no merge requests yet (gt done submits one when refinery.target is set)' : 'the merge queue is empty');
        const width = rows.reduce((w, m) => Math.max(w, m.id.length), 0);
        for (const mr of rows) printLine(terminalSafe(requestLine(mr, width)));
      });
    });
  mq.command('show')
    .description('one merge request in full, with its log')
    .argument('<id>', 'request id (any unique prefix)')
    .option('--json', 'print it as JSON')
    .action(async (query: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const mr = lookupMr((await readView(ledger)).mrs, query);
        if (globalsOf(command).json) return printJson(mr);
        printLine(terminalSafe(`${mr.id}: ${mr.branch} → ${mr.target}  [${mr.status}]`));
        printLine(terminalSafe(`   bead ${mr.bead}${mr.convoy ? `   convoy ${mr.convoy}` : ''}   agent ${mr.agent}   priority P${mr.priority}   attempts ${mr.attempts}`));
        printLine(`   commit ${mr.commit}${mr.merge_commit ? `   merged as ${mr.merge_commit}` : ''}`);
        printLine(`   created ${formatTime(mr.created_at)} by ${mr.created_by}   updated ${formatTime(mr.updated_at)}${mr.merged_at ? `   merged ${formatTime(mr.merged_at)}` : ''}`);
        if (mr.waiting) printLine(terminalSafe(`   waiting: ${mr.waiting}`));
        if (mr.conflict_files?.length) printLine(terminalSafe(`   conflicting files: ${mr.conflict_files.join(', ')}${mr.conflict_bead ? `   (resolve: ${mr.conflict_bead})` : ''}`));
        if (mr.supersedes) printLine(`   supersedes ${mr.supersedes}`);
        if (mr.superseded_by) printLine(`   superseded by ${mr.superseded_by}`);
        if (mr.escalated_at) printLine(`   escalated to the overseer ${formatTime(mr.escalated_at)}`);
        if (mr.test_tail) {
          printLine('   test output (tail):');
          for (const line of mr.test_tail.split('\n')) printLine(terminalSafe(`     ${line}`));
        }
        if (mr.log?.length) {
          printLine('   log:');
          for (const line of mr.log) printLine(terminalSafe(`     ${line}`));
        }
      });
    });
  mq.command('retry')
    .description('put a conflicted, failed or rejected request back in the queue')
    .argument('<id>', 'request id (any unique prefix)')
    .action(async (query: string, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result: mr } = await ledger.write((tx) => {
          const retried = retryRequest(tx, query);
          return { result: retried, message: `mq retry ${retried.id} (${retried.bead})` };
        });
        printLine(`↺ ${mr.id} queued again`);
      });
    });
  mq.command('reject')
    .description('take a request out of the queue for good; a bead still in review goes back to its agent with the reason')
    .argument('<id>', 'request id (any unique prefix)')
    .option('--reason <text>', 'why (kept in the request log and the bead notes)')
    .action(async (query: string, options: { reason?: string }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const { result } = await ledger.write((tx) => {
          const done = rejectAndHandBack(tx, query, options.reason);
          return { result: done, message: `mq reject ${done.mr.id} (${done.mr.bead})${options.reason ? `: ${options.reason}` : ''}` };
        });
        printLine(terminalSafe(`✗ ${result.mr.id} rejected${result.bead ? `; ${result.bead.id} back on ${result.mr.agent}'s hook` : ''}`));
      });
    });
}
