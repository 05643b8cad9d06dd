import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { withLedger, globalsOf } from '../context.js';
import { printJson, printLine } from '../output.js';
import { renderMarkdown, renderText } from '../diff-render.js';
import { diffLedger } from '../../work/ledger-diff.js';
import { checkLedgerAt, holdsLedger } from '../../ledger/check.js';
import { resolveCommit } from '../../git/sandboxes.js';
import { hasNativeGit } from '../../git/native-reader.js';
import { LEDGER_BRANCH } from '../../ledger/layout.js';
import type { Ledger } from '../../ledger/ledger.js';
import { NotFoundError, RepositoryError, UsageError } from '../../errors.js';

/** The commit a revision names, as git reads it here (HEAD is this checkout's, detached or not). */
function commitOf(ledger: Ledger, rev: string): string {
  // Without a git binary (GT_GIT_BACKEND=iso on a machine without git): full ids and ref names only.
  const commit = hasNativeGit() ? resolveCommit(ledger.repo.paths.gitDir, rev) : refOrId(ledger, rev);
  if (commit === undefined && !hasNativeGit()) throw new RepositoryError(`no revision matches '${rev}'`, 'without a git binary gt reads only full commit ids and ref names');
  if (commit === undefined) throw new NotFoundError('revision', rev);
  return commit;
}

function refOrId(ledger: Ledger, rev: string): string | undefined {
  if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(rev)) return rev;
  if (rev === 'HEAD') {
    const head = readFileSync(join(ledger.repo.paths.gitDir, 'HEAD'), 'utf8').trim();
    return head.startsWith('ref: ') ? (ledger.repo.refs.resolve(head.slice(5)) ?? undefined) : refOrId(ledger, head);
  }
  for (const ref of [rev, `refs/heads/${rev}`, `refs/tags/${rev}`, `refs/remotes/${rev}`]) {
    const commit = ledger.repo.refs.resolve(ref);
    if (commit) return commit;
  }
  return undefined;
}

/** `a..b` (the two commits) or `a...b` (from their merge base to b, as git diff reads it); an empty side is HEAD. */
async function resolveRange(ledger: Ledger, range: string): Promise<{ from: string; to: string }> {
  const match = /^(.*?)(\.\.\.?)(.*)$/.exec(range);
  if (!match) throw new UsageError(`'${range}' is not a range`, 'name two revisions: gt diff <a>..<b>, or gt diff <a>...<b> for what <b> changed since it left <a>');
  const [, left = '', dots, right = ''] = match;
  const a = commitOf(ledger, left === '' ? 'HEAD' : left);
  const to = commitOf(ledger, right === '' ? 'HEAD' : right);
  if (dots === '..') return { from: a, to };
  const base = await ledger.mergeBase(a, to);
  if (base === null) throw new RepositoryError(`${left || 'HEAD'} and ${right || 'HEAD'} share no history`, `compare them directly: gt diff ${left}..${right}`);
  return { from: base, to };
}

export function registerReview(program: Command): void {
  program
    .command('diff')
    .description('what a ledger change does, entity by entity: beads created, closed, reopened, fields changed, comments added; convoys landed; molecules advanced; agents, mail and merge requests in brief (the two trees compared, not the history between them)')
    .argument('<range>', 'two revisions holding a ledger: <a>..<b> (a to b) or <a>...<b> (what b changed since its merge base with a, as for a pull request); refs, commit ids, gt/ledger~3, a PR head; an empty side is HEAD')
    .option('--json', 'print the changes as JSON: {from, to, counts, beads, convoys, molecules, agents, mail, mrs, other}')
    .option('--markdown', 'print Markdown for a pull-request comment: a heading, a summary line with counts, a section per kind (long lists folded)')
    .action(async (range: string, options: { markdown?: boolean }, command: Command) => {
      const json = globalsOf(command).json;
      if (json && options.markdown) throw new UsageError('--json and --markdown cannot be combined', 'choose one output format');
      await withLedger(command, async (ledger) => {
        const { from, to } = await resolveRange(ledger, range);
        const diff = await diffLedger(ledger, from, to);
        if (json) return printJson(diff);
        // Markdown goes to a pull-request comment as it is: ledger text in it is escaped, not filtered.
        if (options.markdown) return void process.stdout.write(renderMarkdown(diff, range));
        for (const line of renderText(diff, range)) printLine(line);
      });
    });

  program
    .command('check')
    .description('check every ledger file at a revision, for CI on a pull request: canonical (gt would write the same bytes), valid, references resolve, no dependency cycles, no files gt would skip; one line per problem, exit 1 on an error')
    .argument('[rev]', `the revision to check (default: HEAD when it holds a ledger, as in a checkout of a pull request, else ${LEDGER_BRANCH})`)
    .option('--json', 'print the problems as JSON: {commit, ok, problems: [{severity, path, line, message}]}')
    .action(async (rev: string | undefined, _options: unknown, command: Command) => {
      await withLedger(command, async (ledger) => {
        let commit: string;
        if (rev !== undefined) commit = commitOf(ledger, rev);
        else {
          const head = hasNativeGit() ? resolveCommit(ledger.repo.paths.gitDir, 'HEAD') : refOrId(ledger, 'HEAD');
          commit = head !== undefined && (await holdsLedger(ledger, head)) ? head : (ledger.ledgerTip() ?? ledger.requireLedgerTip());
        }
        const findings = await checkLedgerAt(ledger, commit);
        const ok = !findings.some((f) => f.severity === 'error');
        if (globalsOf(command).json) printJson({ commit, ok, problems: findings });
        else {
          for (const f of findings) printLine(`${f.path ? `${f.path}${f.line !== undefined ? `:${f.line}` : ''}: ` : ''}${f.severity === 'warning' ? 'warning: ' : ''}${f.message}`);
          if (findings.length === 0) printLine(`ledger at ${commit.slice(0, 10)} is clean`);
        }
        if (!ok) process.exitCode = 1;
      });
    });
}
