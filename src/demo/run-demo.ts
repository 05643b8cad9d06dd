/**
 * `npm run demo`: the whole flow in a throwaway repository, with the real `gt` binary and native git,
 * narrated step by step. Pass --keep to leave the repository behind for a look around.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const GT = resolve(import.meta.dirname, '../gt.mjs');
const keep = process.argv.includes('--keep');
const root = mkdtempSync(join(tmpdir(), 'gt-demo-'));
const repo = join(root, 'webshop');
const env = {
  ...process.env,
  GT_AGENT: '',
  GIT_AUTHOR_NAME: 'Demo',
  GIT_AUTHOR_EMAIL: 'demo@example.com',
  GIT_COMMITTER_NAME: 'Demo',
  GIT_COMMITTER_EMAIL: 'demo@example.com',
};

/** An agent's shell: no GT_AGENT, so its worktree's binding says who is acting. */
const agentEnv: NodeJS.ProcessEnv = { ...env };
delete agentEnv.GT_AGENT;

const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

function say(text: string): void {
  process.stdout.write(`\n${bold(`── ${text}`)}\n`);
}

function show(command: string, output: string): void {
  process.stdout.write(`${dim(`$ ${command}`)}\n${output.replace(/\n?$/, '\n')}`);
}

function git(...args: string[]): string {
  const out = execFileSync('git', args, { cwd: repo, env, encoding: 'utf8' });
  show(`git ${args.join(' ')}`, out);
  return out;
}

function gt(...args: string[]): string {
  const out = execFileSync(process.execPath, [GT, ...args], { cwd: repo, env, encoding: 'utf8' });
  show(`gt ${args.join(' ')}`, out);
  return out;
}

function gtQuiet(...args: string[]): string {
  return execFileSync(process.execPath, [GT, ...args], { cwd: repo, env, encoding: 'utf8' });
}

/** A step that must be refused: shows gt's one-line explanation. */
function gtRefused(...args: string[]): void {
  try {
    execFileSync(process.execPath, [GT, ...args], { cwd: repo, env, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    show(`gt ${args.join(' ')}`, (error as { stderr: string }).stderr);
    return;
  }
  throw new Error(`expected gt ${args.join(' ')} to be refused`);
}

function createId(...args: string[]): string {
  const bead = JSON.parse(gtQuiet('create', ...args, '--json')) as { id: string; title: string };
  show(`gt create ${args.map((a) => (a.includes(' ') ? JSON.stringify(a) : a)).join(' ')}`, `created ${bead.id}: ${bead.title}`);
  return bead.id;
}

try {
  say('A plain git repository: gt needs nothing else (no database, no daemon)');
  execFileSync('git', ['init', '-q', '-b', 'main', repo], { env });
  execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'initial commit'], { cwd: repo, env });
  show(`git init ${repo}`, '');
  gt('init', '--prefix', 'shop');

  say('The overseer (you) files work as beads; dependencies say what must happen first');
  const schema = createId('Design the orders schema', '-p', '1', '-l', 'db');
  const api = createId('Build the orders API', '-t', 'feature', '-p', '1', '--deps', `blocks:${schema}`);
  const docs = createId('Write the API docs', '-t', 'chore', '--deps', `blocks:${api}`);
  const bug = createId('Fix rounding in cart totals', '-t', 'bug', '-p', '0', '-l', 'cart');
  gt('list');

  say('What can be started now? Blocked work waits for its blockers');
  gt('ready');
  gt('blocked');

  say('Two agents claim work, each on its own branch (gt/agents/<name>); the ledger is untouched');
  gt('--as', 'alice', 'update', schema, '--claim');
  gt('--as', 'bob', 'update', bug, '--claim');
  gtRefused('--as', 'bob', 'update', schema, '--claim');

  say("The agents work and close their beads, and leave notes on each other's work");
  gt('--as', 'alice', 'comment', 'add', schema, 'orders(id, cart_id, total_cents): cents avoid rounding');
  gt('--as', 'alice', 'close', schema, '--reason', 'schema merged in PR #12');
  gt('--as', 'bob', 'comment', 'add', schema, 'the cart fix relies on total_cents');
  gt('--as', 'bob', 'close', bug, '--reason', 'use integer cents');

  say('Alice sees her own work; the ledger does not have it yet');
  gt('--as', 'alice', 'show', schema);
  gt('ready');

  const before = execFileSync('git', ['rev-parse', 'gt/ledger'], { cwd: repo, encoding: 'utf8' }).trim();
  say('gt merge: a field-level three-way merge of every agent branch. Both edited one bead; nothing is lost');
  gt('merge');
  gt('show', schema);

  say('Closing the schema unblocked the API: it is ready now');
  gt('ready');

  say('A reviewer reads the work as a git diff of the ledger branch, as a pull request would show it');
  git('log', '--oneline', '--graph', 'gt/ledger');
  git('diff', '--stat', before, 'gt/ledger');
  git('diff', before, 'gt/ledger', '--', `beads/${schema}.yaml`);

  say("Every bead's history comes from git");
  gt('log', schema);

  say('Batch the rest into a convoy: it lands by itself when all its work is done');
  const convoyId = (JSON.parse(gtQuiet('convoy', 'create', 'Orders release', api, docs, '--feed', 'alice', '--json')) as { id: string }).id;
  show(`gt convoy create "Orders release" ${api} ${docs} --feed alice`, `created ${convoyId}`);
  gt('convoy', 'status', convoyId);

  say("Install the git hooks: commits now drive the observer (gt watch would do the same, as a process)");
  gt('hooks', 'install');
  const worktree = join(root, 'webshop-alice');
  git('worktree', 'add', '-q', '-b', 'alice/orders', worktree);
  const inAlice = (...args: string[]): string => {
    const out = execFileSync(process.execPath, [GT, ...args], { cwd: worktree, env: agentEnv, encoding: 'utf8' });
    show(`(alice's worktree) gt ${args.join(' ')}`, out);
    return out;
  };
  const commitAsAlice = (file: string, message: string): void => {
    writeFileSync(join(worktree, file), `${message}\n`);
    execFileSync('git', ['add', file], { cwd: worktree, env: agentEnv });
    const out = execFileSync('git', ['commit', '-q', '-m', message], { cwd: worktree, env: agentEnv, encoding: 'utf8' });
    show(`(alice's worktree) git commit -m ${JSON.stringify(message)}`, out);
  };
  inAlice('agents', 'bind', 'alice');
  gt('sling', api, 'alice');

  say("Alice's session starts with gt prime: who she is, and the work on her hook");
  inAlice('prime');

  say('She commits with "Closes: <id>": the hook closes the bead and the observer hands her the next one');
  commitAsAlice('orders_api.txt', `Add the orders API\n\nCloses: ${api}`);
  gt('hook', 'alice');
  commitAsAlice('docs.txt', `Document the orders API\n\nCloses: ${docs}`);

  say('Everything in the convoy is closed: it landed, and the overseer got the landing mail');
  gt('convoy', 'list', '--all');
  const mail = JSON.parse(gtQuiet('mail', 'inbox', '--json')) as { id: string }[];
  gt('mail', 'read', mail[0]!.id);
  git('log', '--oneline', '-8', 'gt/ledger');

  say('Native git agrees: the repository is sound, and your own branch and working tree were never touched');
  git('fsck', '--strict');
  git('status', '--short', '--branch');

  say('The town at a glance: gt status (--watch redraws it whenever a branch moves; gt dashboard serves it to a browser)');
  gt('status');
  // gt may not be on PATH when the demo runs from a checkout: name the very script it used.
  if (keep) process.stdout.write(`\nLook around in a browser: node ${relative(process.cwd(), GT)} -C ${repo} dashboard   (it serves http://127.0.0.1:8080/ until Ctrl-C)\n`);
  process.stdout.write(`\n${keep ? `The demo repository is kept at ${repo}` : 'Done. (npm run demo -- --keep keeps the demo repository.)'}\n`);
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
}
