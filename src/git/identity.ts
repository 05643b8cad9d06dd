/**
 * The person at the keyboard, as git would sign their commits: `user.name` and `user.email`, with
 * `GIT_AUTHOR_NAME`/`GIT_AUTHOR_EMAIL` first, as git does. Asking git costs a process (milliseconds on
 * every write), so the answer is kept in `<git dir>/gt/identity.json`, keyed by the size and time of
 * every config file git reads by default; an edit of any of them asks again. (A file reached only
 * through `include.path` is not in the key: such a change shows after the next edit of a main file.)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface UserIdentity {
  name: string;
  email: string;
}

function configFiles(gitDir: string, commonDir: string): string[] {
  const home = process.env.HOME ?? homedir();
  const xdg = process.env.XDG_CONFIG_HOME ?? join(home, '.config');
  return [
    ...(process.env.GIT_CONFIG_NOSYSTEM ? [] : [process.env.GIT_CONFIG_SYSTEM ?? '/etc/gitconfig']),
    ...(process.env.GIT_CONFIG_GLOBAL !== undefined ? [process.env.GIT_CONFIG_GLOBAL] : [join(xdg, 'git', 'config'), join(home, '.gitconfig')]),
    join(commonDir, 'config'),
    join(gitDir, 'config.worktree'),
  ];
}

function cacheKey(files: readonly string[]): string {
  return files
    .map((file) => {
      try {
        const s = statSync(file);
        return `${file}:${s.size}:${s.mtimeMs}`;
      } catch {
        return `${file}:-`;
      }
    })
    .join('|');
}

function askGit(cwd: string, key: string): string | undefined {
  try {
    const value = execFileSync('git', ['config', '--get', key], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}

const remembered = new Map<string, { key: string; identity: Partial<UserIdentity> }>();

/** What git's configuration says (cached as above); fields git has no value for are left out. */
function configuredIdentity(gitDir: string, commonDir: string): Partial<UserIdentity> {
  const key = cacheKey(configFiles(gitDir, commonDir));
  const inMemory = remembered.get(gitDir);
  if (inMemory?.key === key) return inMemory.identity;
  const file = join(commonDir, 'gt', 'identity.json');
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { key?: unknown; identity?: Partial<UserIdentity> };
    if (cached.key === key && cached.identity) {
      remembered.set(gitDir, { key, identity: cached.identity });
      return cached.identity;
    }
  } catch {
    // No cache yet, or an unreadable one: ask git.
  }
  const name = askGit(gitDir, 'user.name');
  const email = askGit(gitDir, 'user.email');
  const identity: Partial<UserIdentity> = { ...(name ? { name } : {}), ...(email ? { email } : {}) };
  remembered.set(gitDir, { key, identity });
  try {
    mkdirSync(join(commonDir, 'gt'), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ key, identity }));
    renameSync(temp, file);
  } catch {
    // A cache that cannot be written is asked again next time; nothing else depends on it.
  }
  return identity;
}

/**
 * Who the overseer is, as git would sign: the environment first, then git's configuration; `fallback`
 * fills what neither says.
 */
export function userIdentity(gitDir: string, commonDir: string, fallback: UserIdentity): UserIdentity {
  const envName = process.env.GIT_AUTHOR_NAME;
  const envEmail = process.env.GIT_AUTHOR_EMAIL;
  if (envName && envEmail) return { name: envName, email: envEmail };
  const configured = configuredIdentity(gitDir, commonDir);
  return { name: envName || configured.name || fallback.name, email: envEmail || configured.email || fallback.email };
}
