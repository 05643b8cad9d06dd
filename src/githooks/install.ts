/**
 * `gt hooks install | uninstall | status`: gt's git hooks in the hooks directory git uses
 * (`git rev-parse --git-path hooks`: .git/hooks, or core.hooksPath, relative or absolute). A hook the
 * user already has is never replaced: it moves next to ours as `<hook>.gt-chained`, ours runs it
 * first, and uninstall moves it back untouched.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RepositoryError } from '../errors.js';
import { runGit, shellQuote } from '../git/git-command.js';

export const HOOK_NAMES = ['prepare-commit-msg', 'post-commit', 'post-merge', 'post-checkout', 'post-rewrite'] as const;
export type HookName = (typeof HOOK_NAMES)[number];

/** The line that tells gt's scripts from everyone else's. */
export const HOOK_MARKER = '# gt-managed-hook v1';
export const CHAINED_SUFFIX = '.gt-chained';

export type HookState =
  /** gt's script, nothing chained. */
  | 'installed'
  /** gt's script, running the user's own hook first. */
  | 'chained'
  | 'not-installed'
  /** Someone else's hook, and gt's is not there. */
  | 'foreign';

export interface HookStatus {
  name: HookName;
  state: HookState;
  path: string;
  /** For gt's scripts: it is what `gt hooks install` would write now (same node, same gt). */
  current?: boolean;
}

export interface HooksStatus {
  hooksDir: string;
  hooks: HookStatus[];
}

export interface HookChange {
  name: HookName;
  /** What was done: installed, updated, chained (the user's hook moved aside), removed, restored, unchanged, skipped. */
  action: 'installed' | 'updated' | 'chained' | 'unchanged' | 'removed' | 'restored' | 'skipped';
  detail?: string;
}

/** How the installed scripts start gt: this node, and this gt bundle. */
export interface GtLauncher {
  node: string;
  gt: string;
}

/** The running gt: the bundle (dist/gt.mjs) node was started with. */
export function currentLauncher(): GtLauncher {
  const script = process.argv[1];
  const gt = script && existsSync(script) ? realpathSync(script) : resolve(dirname(fileURLToPath(import.meta.url)), '../gt.mjs');
  return { node: process.execPath, gt };
}

/** hooks/gt-hook.sh of the package: next to dist/ (from dist/gt.mjs or dist/githooks/install.js). */
function templatePath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, '../hooks/gt-hook.sh'), resolve(here, '../../hooks/gt-hook.sh')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new RepositoryError(`the hook script template hooks/gt-hook.sh is missing next to ${here}`, 'reinstall gt');
}

/** The script every hook gets, with the paths of node and gt filled in. */
export function hookScript(launcher: GtLauncher): string {
  const template = readFileSync(templatePath(), 'utf8');
  if (!template.includes(HOOK_MARKER)) throw new Error(`hooks/gt-hook.sh lacks the marker line '${HOOK_MARKER}'`);
  return template.replace('@GT_NODE@', () => shellQuote(launcher.node)).replace('@GT_BIN@', () => shellQuote(launcher.gt));
}

/** The directory git runs hooks from, for the repository around `cwd`. */
export function hooksDirOf(cwd: string): string {
  let out: string;
  try {
    out = runGit(cwd, ['rev-parse', '--git-path', 'hooks']);
  } catch {
    throw new RepositoryError(`not a git repository: ${resolve(cwd)}`, 'run gt hooks inside a git repository');
  }
  // git prints it relative to `cwd` (core.hooksPath relative to the top of the working tree included).
  return resolve(cwd, out.trim());
}

function readText(path: string): string | undefined {
  try {
    return statSync(path).isFile() ? readFileSync(path, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

function isOurs(text: string | undefined): boolean {
  return text !== undefined && text.split('\n').slice(0, 5).includes(HOOK_MARKER);
}

function writeScript(path: string, text: string): void {
  // Written aside and renamed: git never runs half a script.
  const temp = `${path}.gt-tmp-${process.pid}`;
  writeFileSync(temp, text, { mode: 0o755 });
  chmodSync(temp, 0o755);
  renameSync(temp, path);
}

export function hooksStatus(cwd: string, launcher: GtLauncher = currentLauncher()): HooksStatus {
  const hooksDir = hooksDirOf(cwd);
  const wanted = hookScript(launcher);
  const hooks = HOOK_NAMES.map((name): HookStatus => {
    const path = join(hooksDir, name);
    const text = readText(path);
    if (isOurs(text)) {
      return { name, path, state: existsSync(path + CHAINED_SUFFIX) ? 'chained' : 'installed', current: text === wanted };
    }
    return { name, path, state: text === undefined && !existsSync(path) ? 'not-installed' : 'foreign' };
  });
  return { hooksDir, hooks };
}

/** Installs gt's script for every hook (or only those named); running it again changes nothing. */
export function installHooks(cwd: string, launcher: GtLauncher = currentLauncher(), only: readonly HookName[] = HOOK_NAMES): { hooksDir: string; changes: HookChange[] } {
  const hooksDir = hooksDirOf(cwd);
  const script = hookScript(launcher);
  mkdirSync(hooksDir, { recursive: true });
  const changes = only.map((name): HookChange => {
    const path = join(hooksDir, name);
    const chained = path + CHAINED_SUFFIX;
    const text = readText(path);
    if (isOurs(text)) {
      if (text === script) return { name, action: 'unchanged' };
      writeScript(path, script);
      return { name, action: 'updated' };
    }
    if (text === undefined && !existsSync(path)) {
      writeScript(path, script);
      return { name, action: 'installed' };
    }
    if (existsSync(chained)) {
      return { name, action: 'skipped', detail: `${name} is not gt's, and ${name}${CHAINED_SUFFIX} is already taken: move one of them away` };
    }
    renameSync(path, chained);
    writeScript(path, script);
    return { name, action: 'chained', detail: `your hook is kept as ${name}${CHAINED_SUFFIX} and runs first` };
  });
  return { hooksDir, changes };
}

/**
 * What `gt doctor` says of the hooks, and what `--fix` may do. Only where gt's hooks were installed
 * (at least one of them is there): a repository that never ran `gt hooks install` has not asked for
 * them. Then a hook of gt's that is missing is put back, and one that runs another node or gt is
 * rewritten; a hook of someone else's where gt's should be is left (it was put there after gt's) and
 * reported: `gt hooks install` keeps it and chains it.
 */
export function hooksToRepair(cwd: string, launcher: GtLauncher = currentLauncher()): { missing: HookName[]; stale: HookName[]; foreign: HookName[]; hooksDir: string } {
  const status = hooksStatus(cwd, launcher);
  const none = { missing: [], stale: [], foreign: [], hooksDir: status.hooksDir };
  if (!status.hooks.some((h) => h.state === 'installed' || h.state === 'chained')) return none;
  return {
    missing: status.hooks.filter((h) => h.state === 'not-installed').map((h) => h.name),
    stale: status.hooks.filter((h) => h.current === false).map((h) => h.name),
    foreign: status.hooks.filter((h) => h.state === 'foreign').map((h) => h.name),
    hooksDir: status.hooksDir,
  };
}

/** Removes gt's scripts and puts back the hooks they chained to. */
export function uninstallHooks(cwd: string): { hooksDir: string; changes: HookChange[] } {
  const hooksDir = hooksDirOf(cwd);
  const changes = HOOK_NAMES.map((name): HookChange => {
    const path = join(hooksDir, name);
    const chained = path + CHAINED_SUFFIX;
    const text = readText(path);
    if (!isOurs(text)) {
      if (existsSync(chained)) {
        return { name, action: 'skipped', detail: `${name} is not gt's; your earlier hook is still in ${name}${CHAINED_SUFFIX}` };
      }
      return { name, action: 'unchanged' };
    }
    if (existsSync(chained)) {
      renameSync(chained, path);
      return { name, action: 'restored', detail: 'your own hook is back' };
    }
    rmSync(path, { force: true });
    return { name, action: 'removed' };
  });
  return { hooksDir, changes };
}
