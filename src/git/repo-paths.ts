import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { RepositoryError } from '../errors.js';

/** Where a repository keeps its parts. In a linked worktree, refs and objects live in the common dir. */
export interface RepoPaths {
  /** Top of the working tree; null for a bare repository. */
  workTree: string | null;
  /** The repository's git dir (for a linked worktree: its private one, holding HEAD and index). */
  gitDir: string;
  /** Where refs, objects and packed-refs live (same as gitDir outside linked worktrees). */
  commonDir: string;
}

/** A git dir: its own objects and refs, or (a linked worktree's private dir) a `commondir` link to them. */
function isGitDir(dir: string): boolean {
  if (!existsSync(join(dir, 'HEAD'))) return false;
  return (existsSync(join(dir, 'objects')) && existsSync(join(dir, 'refs'))) || existsSync(join(dir, 'commondir'));
}

/** The working tree of a git dir named by GIT_DIR (git sets it for hooks, also in linked worktrees). */
function workTreeOf(gitDir: string): string | null {
  const linkFile = join(gitDir, 'gitdir');
  if (existsSync(linkFile)) return dirname(resolve(gitDir, readFileSync(linkFile, 'utf8').trim()));
  return basename(gitDir) === '.git' ? dirname(gitDir) : null;
}

function readGitFile(dotGit: string): string {
  const text = readFileSync(dotGit, 'utf8');
  const match = /^gitdir:\s*(.+?)\s*$/m.exec(text);
  if (!match?.[1]) throw new RepositoryError(`${dotGit} is not a valid gitdir link`);
  return isAbsolute(match[1]) ? match[1] : resolve(dirname(dotGit), match[1]);
}

function commonDirOf(gitDir: string): string {
  const file = join(gitDir, 'commondir');
  if (!existsSync(file)) return gitDir;
  const rel = readFileSync(file, 'utf8').trim();
  return isAbsolute(rel) ? rel : resolve(gitDir, rel);
}

/** Finds the repository containing `cwd`, the way git does (GIT_DIR first, then upwards). */
export function findRepository(cwd: string): RepoPaths {
  const envGitDir = process.env.GIT_DIR;
  if (envGitDir) {
    const gitDir = resolve(cwd, envGitDir);
    if (!isGitDir(gitDir)) throw new RepositoryError(`GIT_DIR=${envGitDir} is not a git repository`);
    return { workTree: process.env.GIT_WORK_TREE ? resolve(cwd, process.env.GIT_WORK_TREE) : workTreeOf(gitDir), gitDir, commonDir: commonDirOf(gitDir) };
  }
  let dir = resolve(cwd);
  for (;;) {
    const dotGit = join(dir, '.git');
    if (existsSync(dotGit)) {
      const gitDir = statSync(dotGit).isDirectory() ? dotGit : readGitFile(dotGit);
      return { workTree: dir, gitDir, commonDir: commonDirOf(gitDir) };
    }
    if (isGitDir(dir) && basename(dir) !== '.git') return { workTree: null, gitDir: dir, commonDir: commonDirOf(dir) };
    const parent = dirname(dir);
    if (parent === dir) {
      throw new RepositoryError(
        `not a git repository: ${resolve(cwd)} (nor any of its parents)`,
        'run gt inside a git repository, or create one with `git init`',
      );
    }
    dir = parent;
  }
}
