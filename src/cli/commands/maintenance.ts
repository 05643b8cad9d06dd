import type { Command } from 'commander';
import { withLedger, globalsOf, thisMergeDriver } from '../context.js';
import { mergeDriverFindings, setUpMergeDriver } from '../../ledger/merge-driver-setup.js';
import { mergeLedgerFileTexts } from '../../ledger/merge/file-driver.js';
import { ENTITY_KINDS } from '../../kinds.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { printJson, printLine } from '../output.js';
import { describeMergeNote, mergeAgentBranches } from '../../ledger/agent-merge.js';
import { runDoctor } from '../../ledger/doctor.js';
import { settingFindings } from '../../settings/settings-service.js';
import { checkAgentName } from '../../ledger/names.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { LedgerConfig } from '../../ledger/config.js';
import { GtError } from '../../errors.js';

export function registerMaintenance(program: Command): void {
  program
    .command('merge')
    .description('merge agent branches into the ledger (field by field, never a conflict), then move them to the ledger tip')
    .argument('[agents...]', 'agents whose branches to merge (default: every agent branch with changes)')
    .option('--json', 'print what was merged as JSON')
    .action(async (agents: string[], _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        const reports = await mergeAgentBranches(ledger, agents.map((a) => checkAgentName(a)));
        if (globalsOf(command).json) return printJson(reports);
        if (reports.length === 0) return printLine('no agent branches');
        for (const r of reports) {
          if (r.outcome === 'up-to-date') printLine(`${r.agent}: nothing to merge`);
          else printLine(`${r.agent}: merged ${r.changed.length} entit${r.changed.length === 1 ? 'y' : 'ies'}${r.changed.length > 0 ? ` (${r.changed.join(', ')})` : ''}`);
          for (const n of r.notes) printLine(`  ${describeMergeNote(n)}`);
        }
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
    .description('check the ledger: unreadable files (with path and line), dangling dependencies, cycles, stale locks, settings gt refuses or does not know')
    .option('--json', 'print the findings as JSON (with --fix: {fixed, findings})')
    .option('--fix', "put right what gt can: the ledger's .gitattributes and git's merge driver for ledger files")
    .action(async (options: { fix?: boolean }, command: Command) => {
      await withLedger(command, async (ledger) => {
        const fixed = options.fix ? await setUpMergeDriver(ledger, thisMergeDriver()) : [];
        if (!globalsOf(command).json) for (const line of fixed) printLine(`fixed: ${line}`);
        const findings = await runDoctor(ledger);
        findings.push(...(await mergeDriverFindings(ledger, thisMergeDriver())));
        // A ledger too broken to read has no settings to check; runDoctor has said why.
        const config = ledger.ledgerTip() ? await readConfigQuietly(ledger) : undefined;
        if (config) findings.push(...settingFindings(config, { gitDir: ledger.repo.paths.commonDir }));
        if (globalsOf(command).json) printJson(options.fix ? { fixed, findings } : findings);
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

async function readConfigQuietly(ledger: Ledger): Promise<LedgerConfig | undefined> {
  try {
    return (await ledger.view()).config;
  } catch (error) {
    if (error instanceof GtError) return undefined;
    throw error;
  }
}
