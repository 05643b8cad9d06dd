/** Clones of one bare remote, and running git and gt in any of them: what the many-clones tests share. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { GIT_ENV, runGt } from './repo.js';

/** Runs git in `cwd` (its chatter on stderr kept out of the test output); throws when git fails. */
export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs gt in `cwd`, failing the test with its stderr when it does not succeed. */
export function gtIn(cwd: string, ...args: string[]): string {
  const r = runGt(args, cwd);
  if (r.status !== 0) throw new Error(`gt ${args.join(' ')} in ${cwd} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export function gtJsonIn<T>(cwd: string, ...args: string[]): T {
  return JSON.parse(gtIn(cwd, ...args, '--json')) as T;
}

/** A bare remote under `root` with one commit on main; returns its path. */
export function bareRemote(root: string): string {
  const remote = join(root, 'remote.git');
  gitIn(root, 'init', '-q', '--bare', '-b', 'main', remote);
  const seed = join(root, '.seed');
  gitIn(root, 'clone', '-q', remote, seed);
  gitIn(seed, 'commit', '-q', '--allow-empty', '-m', 'initial');
  gitIn(seed, 'push', '-q', 'origin', 'main');
  return remote;
}

/** A clone of `remote` named `name` under `root`. */
export function cloneOf(root: string, remote: string, name: string): string {
  const dir = join(root, name);
  gitIn(root, 'clone', '-q', remote, dir);
  return dir;
}

/**
 * The start of most many-clones tests: clone `names[0]` of a bare remote makes a ledger (prefix gt)
 * with one bead titled `title` and a convoy of it and publishes it with `gt sync`; clone `names[1]`
 * adopts it with `gt init`.
 */
export function publishedPair(root: string, title: string, names: [string, string] = ['a', 'b']): { a: string; b: string; x: string; convoy: string } {
  const remote = bareRemote(root);
  const a = cloneOf(root, remote, names[0]);
  gtIn(a, 'init', '--prefix', 'gt');
  const x = gtJsonIn<{ id: string }>(a, 'create', title).id;
  const convoy = gtJsonIn<{ id: string }>(a, 'convoy', 'create', 'Release', x).id;
  gtIn(a, 'sync');
  const b = cloneOf(root, remote, names[1]);
  gtIn(b, 'init');
  return { a, b, x, convoy };
}
