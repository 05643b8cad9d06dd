/**
 * A large packed repository: the code history gt's ledger lives beside in a real project. About
 * 2,000 commits over 30,000 files of incompressible content (≥100,000 objects, a pack of ≥100 MB),
 * plus the 10,000-bead ledger, all repacked by `git gc` into one pack. Built once and cached.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FastImport, git, initRepo } from './git-tools.js';
import { LEDGER_FIXTURE_VERSION, type Fixture, type FixtureMeta } from './ledger-fixture.js';
import { ByteStream, Rng } from './prng.js';

export const BIG_REPO_VERSION = 1;

const TOP_DIRS = 30;
const SUB_DIRS = 10;
const FILES_PER_DIR = 100;
const COMMITS = 2000;
const FILES_PER_COMMIT = 20;
const MIN_FILE = 256;
const MAX_FILE = 3840;

export interface BigRepoStats {
  objects: number;
  packBytes: number;
  packs: number;
  commits: number;
  files: number;
  buildMs: number;
}

function filePath(n: number): string {
  const file = n % FILES_PER_DIR;
  const sub = Math.floor(n / FILES_PER_DIR) % SUB_DIRS;
  const top = Math.floor(n / (FILES_PER_DIR * SUB_DIRS));
  return `lib${String(top).padStart(2, '0')}/mod${sub}/file${String(file).padStart(3, '0')}.bin`;
}

async function importHistory(repo: string, log: (line: string) => void): Promise<void> {
  const rng = new Rng(0xb16);
  const bytes = new ByteStream('gt-bench-big-repo');
  const fi = new FastImport(repo);
  const files = TOP_DIRS * SUB_DIRS * FILES_PER_DIR;
  let when = Date.UTC(2022, 0, 3) / 1000;
  const who = 'Dev <dev@example.com>';
  await fi.commit('refs/heads/main', who, when, 'initial import\n', { mark: 1 });
  for (let n = 0; n < files; n++) await fi.file(filePath(n), bytes.bytes(rng.int(MIN_FILE, MAX_FILE)));
  for (let c = 2; c <= COMMITS; c++) {
    when += rng.int(600, 40_000);
    await fi.commit('refs/heads/main', who, when, `change ${c}: rework ${FILES_PER_COMMIT} files\n`);
    const touched = new Set<number>();
    while (touched.size < FILES_PER_COMMIT) touched.add(rng.int(0, files - 1));
    for (const n of touched) await fi.file(filePath(n), bytes.bytes(rng.int(MIN_FILE, MAX_FILE)));
    if (c % 500 === 0) log(`  ${c} / ${COMMITS} commits`);
  }
  await fi.finish();
}

export function packStats(repo: string): { objects: number; packBytes: number; packs: number; loose: number } {
  const out = git(['count-objects', '-v'], repo);
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(out)?.[1] ?? 0);
  let packBytes = 0;
  const packDir = join(repo, '.git/objects/pack');
  for (const name of readdirSync(packDir)) if (name.endsWith('.pack')) packBytes += statSync(join(packDir, name)).size;
  return { objects: field('in-pack') + field('count'), packBytes, packs: field('packs'), loose: field('count') };
}

/** The cached big repository holding `ledger`'s gt refs; built when missing. */
export async function bigRepoFixture(root: string, ledger: Fixture, log: (line: string) => void): Promise<{ fixture: Fixture; stats: BigRepoStats }> {
  const dir = join(root, `big-repo-${ledger.meta.size}-v${BIG_REPO_VERSION}-ledger-v${LEDGER_FIXTURE_VERSION}`);
  const repo = join(dir, 'repo');
  const statsPath = join(dir, 'stats.json');
  const meta: FixtureMeta = ledger.meta;
  if (existsSync(join(dir, 'done')) && existsSync(statsPath)) {
    return { fixture: { dir, repo, meta }, stats: JSON.parse(readFileSync(statsPath, 'utf8')) as BigRepoStats };
  }
  const started = Date.now();
  log(`building the large packed repository in ${dir} (once; cached) ...`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  initRepo(repo);
  await importHistory(repo, log);
  log(`  history imported in ${((Date.now() - started) / 1000).toFixed(1)} s; adding the ledger and repacking (git gc) ...`);
  git(['fetch', '-q', '--no-tags', ledger.repo, '+refs/heads/gt/*:refs/heads/gt/*'], repo);
  git(['symbolic-ref', 'HEAD', 'refs/heads/main'], repo);
  // No checkout: gt reads only refs and objects, and a 30,000-file work tree would make every
  // per-scenario copy slow. The index-less work tree is invisible to everything measured.
  git(['gc', '--quiet'], repo);
  const ps = packStats(repo);
  const stats: BigRepoStats = {
    objects: ps.objects,
    packBytes: ps.packBytes,
    packs: ps.packs,
    commits: Number(git(['rev-list', '--count', '--all'], repo).trim()),
    files: TOP_DIRS * SUB_DIRS * FILES_PER_DIR,
    buildMs: Date.now() - started,
  };
  writeFileSync(statsPath, `${JSON.stringify(stats)}\n`);
  writeFileSync(join(dir, 'done'), `${new Date().toISOString()}\n`);
  log(`  built in ${(stats.buildMs / 1000).toFixed(1)} s: ${stats.objects.toLocaleString('en-US')} objects, pack ${(stats.packBytes / 1e6).toFixed(0)} MB`);
  return { fixture: { dir, repo, meta }, stats };
}
