/**
 * `npm run demo`: the whole flow in a throwaway repository, with the real `gt` binary and native git,
 * narrated step by step. Pass --keep to leave the repository behind for a look around.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type ExecFileSyncOptionsWithStringEncoding } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { entityPath, storedPath } from '../ledger/layout.js';

const GT = resolve(import.meta.dirname, '../gt.mjs');
/** The scripted agent shipped with gt (dist/demo/ → the package's agents/), so a fresh clone needs nothing else. */
const SCRIPTED_AGENT = resolve(import.meta.dirname, '../../agents/scripted-agent.sh');
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

const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;
/** An argument as a user would type it in a shell. */
const shown = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : shellQuote(arg));

function git(...args: string[]): string {
  const out = execFileSync('git', args, { cwd: repo, env, encoding: 'utf8' });
  show(`git ${args.map(shown).join(' ')}`, out);
  return out;
}

function gt(...args: string[]): string {
  const out = execFileSync(process.execPath, [GT, ...args], { cwd: repo, env, encoding: 'utf8' });
  show(`gt ${args.map(shown).join(' ')}`, out);
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

/** Every process the demo started itself (the witness), and the polecats' loops and sessions gt started for it. */
const started: ChildProcess[] = [];

/** Polls `check` until it holds; the limit is generous (a loaded machine), and only guards against a hang. */
async function until(what: string, check: () => boolean, limitMs = 180_000): Promise<void> {
  const t0 = performance.now();
  while (!check()) {
    if (performance.now() - t0 > limitMs) throw new Error(`the demo gave up waiting for ${what} after ${limitMs / 1000} s`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

/** A command in one of the many-clones chapter's clones, shown with the clone's name. */
function inClone(where: string, cwd: string, command: 'git' | 'gt', ...args: string[]): string {
  // git's progress on stderr (a fetch's ref updates) would print out of order: stdout says what matters.
  const options: ExecFileSyncOptionsWithStringEncoding = { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] };
  const out = command === 'git' ? execFileSync('git', args, options) : execFileSync(process.execPath, [GT, ...args], options);
  show(`(${where}) ${command} ${args.map(shown).join(' ')}`, out);
  return out;
}

/**
 * Many clones: the demo repository (the office) and a fresh clone (a laptop) share one ledger through
 * a bare remote: gt sync, a native git pull of the ledger, a pull-request diff, and one landing.
 */
async function manyClones(): Promise<void> {
  const remote = join(root, 'webshop.git');
  const laptop = join(root, 'webshop-laptop');
  const office = (command: 'git' | 'gt', ...args: string[]): string => inClone('office', repo, command, ...args);
  const onLaptop = (command: 'git' | 'gt', ...args: string[]): string => inClone('laptop', laptop, command, ...args);
  const created = (out: string): string => /created (\S+):/.exec(out)![1]!;

  say('Many clones: a bare remote carries the ledger between machines. gt sync publishes it; in a fresh clone, gt init adopts it');
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', remote], { env });
  show(`git init --bare ${remote}`, '');
  const gift = created(office('gt', 'create', 'Sell gift cards'));
  const giftConvoy = created(office('gt', 'convoy', 'create', 'Gift cards', gift));
  office('git', 'remote', 'add', 'origin', remote);
  office('git', 'push', '-q', 'origin', 'main');
  office('gt', 'sync');
  execFileSync('git', ['clone', '-q', remote, laptop], { env });
  show(`git clone ${remote} ${laptop}`, '');
  onLaptop('gt', 'init');

  say('Both write, each on its own ledger: the office raises the priority of the gift cards, the laptop labels and describes them, and each files a bead');
  office('gt', 'update', gift, '-p', '0');
  office('gt', 'create', 'Write the gift card terms');
  onLaptop('gt', 'update', gift, '--add-label', 'payments', '-d', 'Cards of 25, 50 and 100 EUR');
  onLaptop('gt', 'create', 'Translate the checkout');
  office('gt', 'sync');

  say("The laptop takes the office's work with a native git pull, in a checkout of the ledger branch: gt's merge driver merges each file field by field, so nothing conflicts");
  const checkout = join(root, 'webshop-laptop-ledger');
  onLaptop('git', 'worktree', 'add', '-q', checkout, 'gt/ledger');
  inClone('laptop, gt/ledger checked out', checkout, 'git', 'pull', '--no-rebase', '--no-edit');
  const markers = spawnSync('git', ['grep', '-l', '-e', '^<<<<<<<', '-e', '^>>>>>>>', 'HEAD'], { cwd: checkout, env, encoding: 'utf8' });
  if (markers.status !== 1) throw new Error(`conflict markers after the pull: ${markers.stdout}${markers.stderr}`);
  show("(laptop, gt/ledger checked out) git grep -l -e '^<<<<<<<' -e '^>>>>>>>' HEAD", 'no conflict markers in any file');
  inClone('laptop, gt/ledger checked out', checkout, 'git', 'status', '--short', '--branch');
  onLaptop('git', 'worktree', 'remove', checkout);
  onLaptop('gt', 'show', gift);
  onLaptop('gt', 'sync');

  say('What came in, as a reviewer would read it in a pull-request comment: gt diff --markdown');
  const before = execFileSync('git', ['rev-parse', '--short', 'gt/ledger'], { cwd: repo, env, encoding: 'utf8' }).trim();
  office('gt', 'sync');
  office('gt', 'diff', '--markdown', `${before}..gt/ledger`);

  say('One landing, whoever sees it: the laptop commits "Closes:" on main and pushes; its observer lands the convoy, and so does the office\'s once git fetch brings origin/main');
  writeFileSync(join(laptop, 'gift-cards.txt'), 'Gift cards: 25, 50 and 100 EUR\n');
  onLaptop('git', 'add', 'gift-cards.txt');
  onLaptop('git', 'commit', '-q', '-m', `Sell gift cards\n\nCloses: ${gift}`);
  onLaptop('git', 'push', '-q', 'origin', 'main');
  onLaptop('gt', 'observe');
  office('git', 'fetch', '-q', 'origin');
  office('gt', 'observe');

  say('After both sync, the two clones hold the very same ledger: one landing, one mail');
  onLaptop('gt', 'sync');
  office('gt', 'sync');
  onLaptop('gt', 'sync');
  office('git', 'rev-parse', 'gt/ledger');
  onLaptop('git', 'rev-parse', 'gt/ledger');
  office('gt', 'convoy', 'status', giftConvoy);
  for (const [where, cwd] of [['office', repo], ['laptop', laptop]] as const) {
    const mails = JSON.parse(execFileSync(process.execPath, [GT, 'mail', 'inbox', '--json'], { cwd, env, encoding: 'utf8' })) as { id: string; subject: string }[];
    const landings = mails.filter((m) => m.subject.includes('Gift cards'));
    show(`(${where}) gt mail inbox --json   (the Gift cards landing mails)`, landings.map((m) => `${m.id}  ${m.subject}`).join('\n'));
  }
}

interface PolecatRow {
  name: string;
  state: string;
  pid?: number;
  agent_pid?: number;
}

/** Kills what the demo started and every polecat process gt recorded, so nothing outlives the demo (even a failed one). */
function stopEverything(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  let rows: PolecatRow[] = [];
  try {
    rows = JSON.parse(gtQuiet('polecat', 'list', '--json')) as PolecatRow[];
  } catch {
    return; // no repository yet, or no polecats
  }
  for (const pid of rows.flatMap((r) => [r.pid, r.agent_pid])) {
    if (pid === undefined) continue;
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
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
  git('diff', before, 'gt/ledger', '--', storedPath(entityPath('beads', schema)));

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

  say('Polecats: gt runs the agents itself. A session is runtime.command, run in a sandbox of its own; here the scripted agent shipped with gt (no AI)');
  // The session for "Cache product images" kills its own loop and itself once (the scripted agent's
  // SCRIPTED_KILL_LOOP_ONCE), as a crashed machine would: only the witness can bring it back.
  const crashing = 'Cache product images';
  gt('config', 'set', 'runtime.command', `grep -q "^### $GT_BEAD: ${crashing}" "$GT_PRIME_FILE" && export SCRIPTED_KILL_LOOP_ONCE=1; sh ${shown(SCRIPTED_AGENT)}`);
  gt('config', 'set', 'polecats.idle_exit', '2s');

  say('A convoy of 6 beads slung to 3 polecats: each gets a sandbox (a worktree on polecat/<name>) and a loop that runs its sessions');
  // P1 puts the crashing bead among the first three hooked, so its session starts (and crashes) at once.
  const tasks = [{ title: crashing, priority: 1 }, ...['Add a search box', 'Paginate the orders page', 'Show stock levels', 'Email receipts', 'Add a dark theme'].map((title) => ({ title }))];
  const tasksFile = join(root, 'storefront.json');
  writeFileSync(tasksFile, `${JSON.stringify(tasks, null, 1)}\n`);
  show(`cat ${tasksFile}`, readFileSync(tasksFile, 'utf8'));
  const slung = gt('convoy', 'sling', 'Storefront polish', '--file', tasksFile, '--spawn', '3');
  const polish = /^🚚 (\S+):/m.exec(slung)![1]!;

  say('The witness looks after them (gt witness, here in the background): one session kills its own loop and itself, and the witness restarts it');
  const witnessOut: string[] = [];
  const witness = spawn(process.execPath, [GT, 'witness', '--interval', '1'], { cwd: repo, env, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(witness);
  witness.stdout!.on('data', (chunk: Buffer) => witnessOut.push(chunk.toString('utf8')));
  const landedYet = (): boolean => (JSON.parse(gtQuiet('convoy', 'status', polish, '--json')) as { status: string }).status === 'closed';
  await until('the Storefront polish convoy to land', landedYet);
  await until('the witness to report its restart', () => witnessOut.join('').includes('restarted'));
  witness.kill('SIGTERM');
  await new Promise((done) => (witness.exitCode !== null ? done(null) : witness.once('exit', done)));
  show('gt witness --interval 1   (in the background, stopped once the convoy landed)', witnessOut.join('').replace(/^\d\d:\d\d:\d\d /gm, ''));

  say('The convoy landed: all 6 beads closed by the polecats, and the overseer got the landing mail');
  gt('convoy', 'status', polish);
  const landing = (JSON.parse(gtQuiet('mail', 'inbox', '--json')) as { id: string; subject: string }[]).find((m) => m.subject.includes('Storefront polish'))!;
  gt('mail', 'read', landing.id);

  say("gt polecat list shows each polecat's state and sandbox; gt peek shows a session log: the crash, the witness's restart, the work");
  gt('polecat', 'list');
  const restarted = /↻ restarted (\S+) /.exec(witnessOut.join(''))![1]!;
  gt('peek', restarted, '-n', '40');

  say('The refinery: the polecats closed their beads, yet none of their commits is on main. With refinery.target set, gt done submits the branch instead, and the bead closes only once the refinery has merged it and the tests passed');
  git('log', '--oneline', 'main');
  writeFileSync(join(repo, 'test.sh'), '#!/bin/sh\n# The webshop\'s tests: no page may say BROKEN.\nif grep -n BROKEN *.txt; then echo "FAIL: a page is broken"; exit 1; fi\necho "all tests passed"\n');
  writeFileSync(join(repo, 'home.txt'), 'Welcome to the webshop\n');
  git('add', 'test.sh', 'home.txt');
  git('commit', '-q', '-m', 'Add the tests and the home page');
  gt('config', 'set', 'refinery.target', 'main');
  gt('config', 'set', 'refinery.test_command', 'sh test.sh');

  say('Five beads for five new polecats, each branching from main. The scripted agent writes each one\'s line to a file chosen by its title: two different files, two lines at the end of home.txt (they will conflict), and one line that breaks the tests the first time');
  // The two announcements append to home.txt at the same place: whichever merges second conflicts.
  gt(
    'config',
    'set',
    'runtime.command',
    `case "$(sed -n "s/^### $GT_BEAD: //p" "$GT_PRIME_FILE" | head -n 1)" in "List bestsellers") export SCRIPTED_FILE=bestsellers.txt;; "Add a wishlist") export SCRIPTED_FILE=wishlist.txt;; Announce*) export SCRIPTED_FILE=home.txt;; "Show prices with VAT") export SCRIPTED_FILE=prices.txt SCRIPTED_BREAK_ONCE=1;; esac; sh ${shown(SCRIPTED_AGENT)}`,
  );
  // The loops wait for work that comes back from the refinery (a conflict, a failure) instead of exiting.
  gt('config', 'set', 'polecats.idle_exit', '10m');
  gt('config', 'set', 'polecats.max', '5');
  const summer = ['List bestsellers', 'Add a wishlist', 'Announce the summer sale', 'Announce free shipping', 'Show prices with VAT'].map((title) => createId(title));
  const summerConvoy = (JSON.parse(gtQuiet('convoy', 'create', 'Summer sale', ...summer, '--json')) as { id: string }).id;
  show(`gt convoy create 'Summer sale' ${summer.join(' ')}`, `created ${summerConvoy}`);
  for (const id of summer) gt('sling', id, '--spawn', '--base', 'main');

  interface MrRow {
    id: string;
    status: string;
    bead: string;
    agent: string;
  }
  const requests = (): MrRow[] => JSON.parse(gtQuiet('mq', 'list', '--all', '--json')) as MrRow[];
  const queued = (): number => requests().filter((m) => m.status === 'queued').length;
  await until('the five polecats to submit their work', () => queued() === 5);
  say('Each polecat ran gt done: its bead is in review, its branch in the merge queue');
  gt('mq', 'list');

  say('gt refinery run --once: the five are merged and tested together in the refinery\'s own worktree; the batch fails, so it is split until each bad request stands alone');
  const firstRun = gt('refinery', 'run', '--once');
  const conflicted = /^✗ (\S+) \(polecat\/\S+\) conflicts with/m.exec(firstRun)![1]!;
  const [, failed, bounced] = /^✗ (\S+) \(polecat\/\S+\): the tests failed.*; (\S+) back to \S+$/m.exec(firstRun)!;
  const agentOf = (id: string | undefined): string => requests().find((m) => m.id === id)!.agent;

  say('The convoy has not landed: three beads are merged; the conflict (with a new bead to resolve it) and the failure (with the tests\' tail in its notes) went back to their polecats, whose loops are already at them');
  gt('convoy', 'status', summerConvoy);
  gt('mq', 'show', failed!);
  gt('show', bounced!);

  say('One polecat merged main into its branch keeping both lines, the other fixed its page; both ran gt done again');
  await until('the conflict and the failure to come back as new requests', () => queued() === 3);
  gt('mq', 'list');
  gt('peek', agentOf(conflicted), '-n', '15');
  gt('peek', agentOf(failed), '-n', '15');

  say('The refinery merges them: the last merge lands the convoy, in the same ledger commit');
  gt('refinery', 'run', '--once');
  gt('convoy', 'status', summerConvoy);
  const summerMail = (JSON.parse(gtQuiet('mail', 'inbox', '--json')) as { id: string; subject: string }[]).find((m) => m.subject.includes('Summer sale'))!;
  gt('mail', 'read', summerMail.id);

  say('main has every change, each merged (and tested) by the refinery; your checkout of main followed it');
  git('log', '--graph', '--oneline', 'main');
  git('show', 'main:home.txt');
  for (const row of JSON.parse(gtQuiet('polecat', 'list', '--json')) as PolecatRow[]) if (row.pid !== undefined) gtQuiet('polecat', 'stop', row.name);

  say('Native git agrees: the repository is sound, and your checkout of main is clean at its new tip: the refinery moved it only as a push with receive.denyCurrentBranch=updateInstead would');
  git('fsck', '--strict');
  git('status', '--short', '--branch');

  await manyClones();

  say('The town at a glance: gt status (--watch redraws it whenever a branch moves; gt dashboard serves it to a browser)');
  gt('status');
  // gt may not be on PATH when the demo runs from a checkout: name the very script it used.
  if (keep) process.stdout.write(`\nLook around in a browser: node ${relative(process.cwd(), GT)} -C ${repo} dashboard   (it serves http://127.0.0.1:8080/ until Ctrl-C)\n`);
  process.stdout.write(`\n${keep ? `The demo repository is kept at ${repo}` : 'Done. (npm run demo -- --keep keeps the demo repository.)'}\n`);
} finally {
  stopEverything();
  if (!keep) rmSync(root, { recursive: true, force: true });
}
