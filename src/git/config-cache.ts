/**
 * Values of git's configuration that gt needs on every write (who signs, whether to pack): asking git
 * costs a process (milliseconds each time), so the answers are kept in a file of `<git dir>/gt/`,
 * keyed by the size and time of every config file git reads by default; an edit of any of them asks
 * again. (A file reached only through `include.path` is not in the key: such a change shows after the
 * next edit of a main file.)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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

export type ConfigValues = Partial<Record<string, string>>;

const remembered = new Map<string, { key: string; values: ConfigValues }>();

/**
 * What git's configuration says for `keys` (cached as above, in `<common dir>/gt/<cacheName>.json`);
 * keys git has no value for are left out.
 */
export function cachedConfig(gitDir: string, commonDir: string, cacheName: string, keys: readonly string[]): ConfigValues {
  const key = `${keys.join(',')}|${cacheKey(configFiles(gitDir, commonDir))}`;
  const memo = `${gitDir}\0${cacheName}`;
  const inMemory = remembered.get(memo);
  if (inMemory?.key === key) return inMemory.values;
  const file = join(commonDir, 'gt', `${cacheName}.json`);
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8')) as { key?: unknown; values?: ConfigValues };
    if (cached.key === key && cached.values) {
      remembered.set(memo, { key, values: cached.values });
      return cached.values;
    }
  } catch {
    // No cache yet, or an unreadable one: ask git.
  }
  const values: ConfigValues = {};
  for (const name of keys) {
    const value = askGit(gitDir, name);
    if (value !== undefined) values[name] = value;
  }
  remembered.set(memo, { key, values });
  try {
    mkdirSync(join(commonDir, 'gt'), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ key, values }));
    renameSync(temp, file);
  } catch {
    // A cache that cannot be written is asked again next time; nothing else depends on it.
  }
  return values;
}
