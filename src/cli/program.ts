/** The command tree: every command registered, nothing run. Tests walk it to check the help. */
import { Command } from 'commander';
import { registerInit } from './commands/init.js';
import { registerBeadWrites } from './commands/bead-write.js';
import { registerBeadReads } from './commands/bead-read.js';
import { registerRelations } from './commands/relations.js';
import { registerHistory } from './commands/history.js';
import { registerInterop } from './commands/interop.js';
import { registerMaintenance } from './commands/maintenance.js';
import { registerHooks } from './commands/hooks.js';
import { registerConvoy } from './commands/convoy.js';
import { registerWork } from './commands/work.js';
import { registerMail } from './commands/mail.js';
import { registerObserver } from './commands/observer.js';
import { registerFormula } from './commands/formula.js';
import { registerMolecule } from './commands/molecule.js';
import { registerConfig } from './commands/config.js';
import { registerPolecat } from './commands/polecat.js';
import { registerWitness } from './commands/witness.js';
import { registerRefinery } from './commands/refinery.js';
import { registerStatus } from './commands/status.js';
import { registerReview } from './commands/review.js';
import { registerMcp } from './commands/mcp.js';
import { registerCompletion } from './commands/completion.js';

export function buildProgram(): Command {
  const program = new Command('gt')
    .description("Gas Town's work model in plain git: beads (work items) as YAML on the gt/ledger branch")
    .version('0.1.0')
    .option('--as <agent>', 'act as this agent: write to gt/agents/<agent> (default: $GT_AGENT, else the overseer)')
    .option('-C, --cwd <dir>', 'run in this directory instead of the current one')
    .showHelpAfterError('(run gt --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text.replace(/^error: /, 'gt: ')) });
  registerInit(program);
  registerBeadWrites(program);
  registerBeadReads(program);
  registerRelations(program);
  registerHistory(program);
  registerInterop(program);
  registerMaintenance(program);
  registerHooks(program);
  registerConvoy(program);
  registerWork(program);
  registerMail(program);
  registerObserver(program);
  registerFormula(program);
  registerMolecule(program);
  registerConfig(program);
  registerPolecat(program);
  registerWitness(program);
  registerRefinery(program);
  registerStatus(program);
  registerReview(program);
  registerMcp(program);
  // Last, as its scripts describe every command (the tree is read when a script is printed).
  registerCompletion(program);
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

