import type { Command } from 'commander';
import { globalsOf, withLedger } from '../context.js';
import { oneOf } from '../options.js';
import { printLine } from '../output.js';
import { bashScript, COMPLETION_KINDS, completionTree, fishScript, zshScript, type CompletionKind } from '../completion.js';
import { listFormulaFiles, searchDirs } from '../../formulas/search.js';
import type { LedgerView } from '../../ledger/view.js';

const SHELLS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

interface Candidate {
  id: string;
  /** Listed before the others (open work). */
  first: boolean;
  describe: () => string;
}

/**
 * Candidates from the view as the view cache holds them: ids and statuses without parsing an entity;
 * a title is parsed only for the candidates printed with --describe.
 */
function candidatesOf(view: LedgerView, kind: Exclude<CompletionKind, 'formulas'>, prefix: string): Candidate[] {
  const table = view[kind];
  const out: Candidate[] = [];
  for (const id of table.keys()) {
    if (!id.startsWith(prefix)) continue;
    const status = table.statusOf(id) ?? '';
    out.push({
      id,
      first: kind === 'agents' ? true : status !== 'closed',
      describe: () => {
        const value = table.get(id) as { title?: string; role?: string } | undefined;
        const text = kind === 'agents' ? (value?.role ?? '') : `${status}: ${value?.title ?? ''}`;
        return text.replace(/[\t\n\r]/g, ' ');
      },
    });
  }
  return out.sort((a, b) => (a.first !== b.first ? (a.first ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function registerCompletion(program: Command): void {
  const completion = program
    .command('completion')
    .description('shell completion: `gt completion bash|zsh|fish` prints the script (see the README to install it)');

  for (const [shell, script] of Object.entries(SHELLS)) {
    completion
      .command(shell)
      .description(`print the ${shell} completion script: commands, options, and bead, convoy, agent and formula names from the ledger`)
      .action(() => {
        process.stdout.write(script(completionTree(program)));
      });
  }

  completion
    .command('list')
    .description('what the completion scripts call: ids or names of one kind starting with a prefix, one per line (beads and convoys: open ones first)')
    .argument('<kind>', `one of: ${COMPLETION_KINDS.join(', ')}`, oneOf('<kind>', COMPLETION_KINDS, 'kind'))
    .argument('[prefix]', 'only those starting with this', '')
    .option('--describe', "add a tab and a description (status and title) to each line, as fish shows them")
    .action(async (kind: CompletionKind, prefix: string, options: { describe?: boolean }, command: Command) => {
      const lines: string[] = [];
      if (kind === 'formulas') {
        for (const f of listFormulaFiles(searchDirs(globalsOf(command).cwd ?? process.cwd()))) {
          if (f.name.startsWith(prefix)) lines.push(options.describe ? `${f.name}\t${f.scope}` : f.name);
        }
      } else {
        await withLedger(command, async (ledger) => {
          const view = await ledger.view();
          for (const c of candidatesOf(view, kind, prefix)) lines.push(options.describe ? `${c.id}\t${c.describe()}` : c.id);
        });
      }
      if (lines.length > 0) printLine(lines.join('\n'));
    });
}
