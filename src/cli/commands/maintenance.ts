import type { Command } from 'commander';
import { withLedger, globalsOf, thisMergeDriver } from '../context.js';
import { mergeDriverFindings, setUpMergeDriver } from '../../ledger/merge-driver-setup.js';
import { mergeLedgerFileTexts } from '../../ledger/merge/file-driver.js';
import { ENTITY_KINDS } from '../../kinds.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { printJson, printLine } from '../output.js';
import { describeMergeNote, mergeAgentBranches, mergeLedgerCommit } from '../../ledger/agent-merge.js';
import { syncLedger } from '../../work/sync.js';
import { resolveCommit } from '../../git/sandboxes.js';
import { closestIds } from '../../ledger/closest-ids.js';
import { fixStaleLocks, runDoctor, type DoctorFinding } from '../../ledger/doctor.js';
import { fixOrphans, orphanFindings } from '../../polecats/orphans.js';
import { currentLauncher, hooksToRepair, installHooks } from '../../githooks/install.js';
import type { LedgerView } from '../../ledger/view.js';
import { hasNativeGit } from '../../git/native-reader.js';
import { removeLeftoverLocalTemps, settingFindings } from '../../settings/settings-service.js';
import { checkAgentName } from '../../ledger/names.js';
import type { Ledger } from '../../ledger/ledger.js';
import { GtError, NotFoundError } from '../../errors.js';
import { plural } from '../../ledger/wording.js';

export function registerMaintenance(program: Command): void {
  program
    .command('merge')
    .description('merge agent branches, or any ref that holds a ledger (a remote-tracking branch, a pull request head), into the ledger field by field, never a conflict; merged agent branches move to the ledger tip')
    .argument('[branches...]', 'agent names, or refs/commits holding a ledger (e.g. origin/gt/ledger); default: every agent branch with changes')
    .option('--json', 'print what was merged as JSON: one entry per agent ({agent, outcome, …}) or ref ({ref, outcome, …})')
    .action(async (names: string[], _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const agentBranches = new Set(ledger.agentTips().keys());
        const agents: string[] = [];
        const refs: { name: string; commit: string }[] = [];
        for (const name of names) {
          if (agentBranches.has(`refs/heads/gt/agents/${name}`)) agents.push(checkAgentName(name));
          else {
            const commit = resolveCommit(ledger.repo.paths.commonDir, name);
            // Neither: a name no agent could have is refused as such (exit 2), before saying what is missing.
            if (commit === undefined) checkAgentName(name);
            if (commit === undefined) throw new NotFoundError('agent branch or ref', name, closestIds(name, [...agentBranches].map((r) => r.slice('refs/heads/gt/agents/'.length))));
            refs.push({ name, commit });
          }
        }
        const reports: unknown[] = [];
        const lines: string[] = [];
        if (agents.length > 0 || refs.length === 0) {
          for (const r of await mergeAgentBranches(ledger, agents)) {
            reports.push(r);
            if (r.outcome === 'up-to-date') lines.push(`${r.agent}: nothing to merge`);
            else lines.push(`${r.agent}: merged ${plural(r.changed.length, 'entity', 'entities')}${r.changed.length > 0 ? ` (${r.changed.join(', ')})` : ''}`);
            for (const n of r.notes) lines.push(`  ${describeMergeNote(n)}`);
          }
        }
        for (const { name, commit } of refs) {
          const r = await mergeLedgerCommit(ledger, commit, name);
          const changed = r.outcome === 'up-to-date' ? [] : r.changed;
          const notes = r.outcome === 'up-to-date' ? [] : r.notes;
          reports.push({ ref: name, outcome: r.outcome, ...(r.outcome !== 'up-to-date' ? { commit: r.commit } : {}), changed, notes });
          lines.push(r.outcome === 'up-to-date' ? `${name}: nothing to merge` : `${name}: ${r.outcome === 'merged' ? 'merged' : 'fast-forwarded'} ${plural(changed.length, 'entity', 'entities')}${changed.length > 0 && changed.length <= 10 ? ` (${changed.join(', ')})` : ''}`);
          for (const n of notes) lines.push(`  ${describeMergeNote(n)}`);
        }
        if (globalsOf(command).json) return printJson(reports);
        if (reports.length === 0) return printLine('no agent branches');
        for (const line of lines) printLine(line);
      });
    });

  program
    .command('sync')
    .description("make this clone's ledger and a remote's one: fetch gt/ledger and the agent branches, merge them field by field, push, and go again if another clone pushed meanwhile")
    .argument('[remote]', "the git remote (default: the one gt/ledger follows, else origin)")
    .option('--dry-run', 'fetch and say what would be merged and pushed, changing nothing here or there')
    .option('--json', 'print what moved as JSON (merge_driver: what it set up for native git merges of the ledger)')
    .action(async (remote: string | undefined, options: { dryRun?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const json = globalsOf(command).json;
        const progress = !json && process.stderr.isTTY ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
        // Native merges of what sync brings go through gt too; an older ledger's .gitattributes goes out with this push.
        const driver = options.dryRun ? [] : await setUpMergeDriver(ledger, thisMergeDriver());
        const report = await syncLedger(ledger, { ...(remote !== undefined ? { remote } : {}), ...(options.dryRun ? { dryRun: true } : {}), ...(progress ? { progress } : {}) });
        if (json) return printJson({ ...report, merge_driver: driver });
        for (const line of driver) printLine(line);
        const prefix = report.dryRun ? 'would ' : '';
        if (report.adopted) printLine(`${prefix}adopt ${report.remote}'s ledger (gt/ledger follows ${report.remote}/gt/ledger)`);
        for (const m of report.merged) printLine(`${report.dryRun ? 'would merge' : m.outcome === 'merged' ? 'merged' : 'fast-forwarded to'} ${m.from}${m.changed.length > 0 ? `: ${m.changed.length <= 10 ? m.changed.join(', ') : plural(m.changed.length, 'entity', 'entities')}` : ''}`);
        for (const n of report.notes) printLine(`  ${describeMergeNote(n)}`);
        if (report.pushed) printLine(report.dryRun ? `would push gt/ledger to ${report.remote}` : `pushed gt/ledger to ${report.remote}`);
        if (!report.pushed && report.merged.length === 0 && !report.adopted) printLine(`gt/ledger is the same here and on ${report.remote}`);
        if (report.attempts > 1) printLine(`(${report.attempts} rounds: ${report.remote} moved while syncing)`);
      });
    });

  program
    .command('merge-driver')
    .description("git's merge driver for ledger files (git runs it: merge.gt.driver, set up by gt init): merges one file changed on both sides field by field, as gt merge does, and writes the result over <ours>; exit 1 leaves git's conflict when it cannot")
    .argument('<base>', "the common ancestor's version (git's %O)")
    .argument('<ours>', "our version, replaced by the merge (git's %A)")
    .argument('<theirs>', "their version (git's %B)")
    .argument('<path>', "the file's path on the ledger (git's %P)")
    .action((base: string, ours: string, theirs: string, path: string) => {
      const outcome = mergeLedgerFileTexts(ENTITY_KINDS, path, readFileSync(base, 'utf8'), readFileSync(ours, 'utf8'), readFileSync(theirs, 'utf8'));
      if (!outcome.merged) {
        process.stderr.write(`gt merge-driver: ${outcome.why}\n`);
        process.exitCode = 1;
        return;
      }
      writeFileSync(ours, outcome.text);
      // git shows what a driver prints: the values one side lost to the other, in gt merge's words.
      for (const note of outcome.notes) process.stderr.write(`gt: ${path}: ${describeMergeNote(note)}\n`);
    });

  program
    .command('doctor')
    .description('check the ledger and this clone: unreadable files (with path and line), dangling dependencies, cycles, stale locks, settings gt refuses or does not know, git hooks and merge driver, sandboxes no polecat owns')
    .option('--json', 'print the findings as JSON (with --fix: {fixed, left, findings})')
    .option(
      '--fix',
      "put right what is safe to, and say what was done: the ledger's .gitattributes and git's merge driver; entity files of an older layout or in a shard not their own, moved to <folder>/<shard>/<id>.yaml in one commit; stale locks (gt's, and git ref locks over a minute old); " +
        'temporary files of killed gt config set --local runs; gt\'s git hooks, only where they were installed (a missing one put back, one running another gt rewritten; a hook of yours is never moved); ' +
        'worktrees whose folders are gone (git worktree prune); sandboxes of no polecat on the ledger, after saving their uncommitted changes and commits to refs/gt/rescue/<name>/<time>. ' +
        'Never fixed: the content of ledger files, settings gt refuses (fix them with gt config)',
    )
    .action(async (options: { fix?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const json = globalsOf(command).json;
        const cwd = ledger.repo.paths.workTree ?? globalsOf(command).cwd ?? process.cwd();
        const gitDir = ledger.repo.paths.commonDir;
        const fixed: string[] = [];
        const left: string[] = [];
        // Hooks, worktrees and sandboxes are git's: where no git is installed there are none to check.
        const git = hasNativeGit();
        if (options.fix) {
          // Locks first: the merge driver's setup takes the write lock, which would take a stale one over unsaid.
          const locks = fixStaleLocks(ledger);
          fixed.push(...locks.fixed);
          left.push(...locks.left);
          fixed.push(...(await setUpMergeDriver(ledger, thisMergeDriver())));
          if (ledger.ledgerTip()) {
            const moved = await ledger.relayout();
            if (moved !== undefined) fixed.push(moved);
          }
          fixed.push(...removeLeftoverLocalTemps(gitDir));
          const hooks = git ? hooksToRepair(cwd) : { missing: [], stale: [], foreign: [], hooksDir: '' };
          const repair = [...new Set([...hooks.missing, ...hooks.stale])];
          if (repair.length > 0) {
            for (const c of installHooks(cwd, currentLauncher(), repair).changes) {
              if (c.action !== 'unchanged') fixed.push(`${c.action} gt's ${c.name} hook in ${hooks.hooksDir}${c.detail ? ` (${c.detail})` : ''}`);
            }
          }
          for (const name of hooks.foreign) left.push(`left your ${name} hook in ${hooks.hooksDir}: gt hooks install keeps it and runs it before gt's`);
          const view = git ? await viewQuietly(ledger) : undefined;
          if (view) {
            if (ledger.actor.isOverseer) {
              const orphans = fixOrphans(ledger, view);
              fixed.push(...orphans.fixed);
              left.push(...orphans.left);
            } else if (orphanFindings(ledger, view).length > 0) {
              left.push('left the sandboxes no polecat owns: only the overseer removes sandboxes (run gt doctor --fix outside any agent)');
            }
          }
        }
        if (!json) {
          for (const line of fixed) printLine(`fixed: ${line}`);
          for (const line of left) printLine(`not fixed: ${line}`);
        }
        const findings = await runDoctor(ledger);
        findings.push(...(await mergeDriverFindings(ledger, thisMergeDriver())));
        if (git) findings.push(...hookFindings(cwd));
        // A ledger too broken to read has no settings to check; runDoctor has said why.
        const view = ledger.ledgerTip() ? await viewQuietly(ledger) : undefined;
        findings.push(...settingFindings(view?.config, { gitDir: ledger.repo.paths.commonDir }));
        if (view && git) findings.push(...orphanFindings(ledger, view));
        if (json) printJson(options.fix ? { fixed, left, findings } : findings);
        else if (findings.length === 0) printLine('ledger is healthy');
        else {
          for (const f of findings) {
            printLine(`${f.severity}: ${f.path ? `${f.path}${f.line !== undefined ? `:${f.line}` : ''}: ` : ''}${f.message}`);
          }
        }
        if (findings.some((f) => f.severity === 'error')) process.exitCode = 1;
      });
    });
}

/** What doctor says of gt's git hooks where they were installed (see hooksToRepair). */
function hookFindings(cwd: string): DoctorFinding[] {
  const h = hooksToRepair(cwd);
  return [
    ...h.missing.map((name): DoctorFinding => ({ severity: 'warning', message: `gt's ${name} hook is missing from ${h.hooksDir} though its others are there (fix: gt doctor --fix)` })),
    ...h.stale.map((name): DoctorFinding => ({ severity: 'warning', message: `gt's ${name} hook runs another node or gt than this one (fix: gt doctor --fix)` })),
    ...h.foreign.map((name): DoctorFinding => ({ severity: 'warning', message: `${name} in ${h.hooksDir} is not gt's, so commits made there do not reach the ledger (fix: gt hooks install, which keeps yours and runs it first)` })),
  ];
}

async function viewQuietly(ledger: Ledger): Promise<LedgerView | undefined> {
  if (!ledger.ledgerTip()) return undefined;
  try {
    return await ledger.view();
  } catch (error) {
    if (error instanceof GtError) return undefined;
    throw error;
  }
}
