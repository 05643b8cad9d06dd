/**
 * `gt check`: everything wrong with the ledger one commit holds, for CI on a pull request. The same
 * checks as gt doctor's (doctor.ts viewFindings: unreadable files, stray files, dangling references,
 * cycles), plus what only a commit made outside gt can get wrong: files that are not in canonical
 * form (gt would write other bytes for the same content), and a `.gitattributes` that is not gt's.
 */
import type { Ledger } from './ledger.js';
import { viewFindings, whereStored, type DoctorFinding } from './doctor.js';
import { decodeLedgerFile } from './snapshot.js';
import { CONFIG_PATH, dirOf, idFromPath } from './layout.js';
import { ATTRIBUTES_PATH, LEDGER_ATTRIBUTES } from './attributes.js';
import { encodeConfig } from './config-codec.js';
import type { LedgerConfig } from './config.js';
import { GtError, LedgerFileError } from '../errors.js';
import { TREE_MODE } from '../git/object-format.js';

/** Whether `commit`'s tree holds a ledger (a gt.yaml at its root); reads the root tree only, from git (see checkLedgerAt). */
export function holdsLedger(ledger: Ledger, commit: string): Promise<boolean> {
  return ledger.preferringGit(async () => {
    const { tree } = await ledger.cache.commitInfo(commit);
    return (await ledger.cache.treeEntries(tree)).some((e) => e.name === CONFIG_PATH && e.mode !== TREE_MODE);
  });
}

/** Blobs read, checked and dropped at a time: a check of a big ledger never holds every file's text. */
const CANONICAL_BATCH = 512;

/**
 * Every problem of the ledger at `commit`, errors and warnings, in path order (problems without a path
 * last). Reads through git rather than the read index: a check reads each tree and file of one commit
 * once, and loading the index of a big ledger costs more memory than that.
 */
export function checkLedgerAt(ledger: Ledger, commit: string): Promise<DoctorFinding[]> {
  return ledger.preferringGit(() => findingsAt(ledger, commit));
}

async function findingsAt(ledger: Ledger, commit: string): Promise<DoctorFinding[]> {
  const snapshot = await ledger.snapshot(commit);
  if (!snapshot.files.has(CONFIG_PATH)) return [{ severity: 'error', message: `commit ${commit.slice(0, 12)} holds no ledger (no ${CONFIG_PATH} at the root of its tree)` }];
  const findings: DoctorFinding[] = [];
  // Before the view is read: the garbage of parsing every file once is gone before the view's rows are
  // held (at 50,000 beads: 196-207 MB, against 205-219 MB reading the view first).
  const canonical = (await canonicalFindings(ledger, snapshot.files)).map((f) => ({ ...f, path: whereStored(snapshot, f.path!) }));
  try {
    findings.push(...(await viewFindings(ledger, await ledger.viewAt(commit))));
  } catch (error) {
    // gt.yaml itself is unreadable: nothing else can be read against it.
    if (!(error instanceof GtError)) throw error;
    const where = error instanceof LedgerFileError ? { path: error.path, ...(error.line !== undefined ? { line: error.line } : {}) } : {};
    return [{ severity: 'error', ...where, message: error instanceof LedgerFileError ? error.problem : error.message }];
  }
  findings.push(...canonical);
  const attributes = snapshot.files.get(ATTRIBUTES_PATH);
  if (attributes === undefined) findings.push({ severity: 'warning', path: ATTRIBUTES_PATH, message: `missing: native git merges of ledger files do not go through gt's merge driver (fix: gt doctor --fix)` });
  else if ((await textsOf(ledger, [attributes])).get(attributes) !== LEDGER_ATTRIBUTES) {
    findings.push({ severity: 'warning', path: ATTRIBUTES_PATH, message: `not the one gt writes: native git merges and diffs of ledger files may not go through gt (fix: gt doctor --fix)` });
  }
  return findings.sort((a, b) => (a.path ?? '\uffff').localeCompare(b.path ?? '\uffff') || (a.line ?? 0) - (b.line ?? 0));
}

async function textsOf(ledger: Ledger, oids: readonly string[]): Promise<Map<string, string>> {
  const objects = await ledger.repo.reader.readMany([...new Set(oids)]);
  return new Map([...objects].map(([oid, obj]) => [oid, obj.content.toString('utf8')]));
}

/**
 * Files that read fine but are not what gt writes for their content: a hand edit, another tool, a
 * merge outside gt. Each is named with the first line that differs from the canonical text.
 */
async function canonicalFindings(ledger: Ledger, files: ReadonlyMap<string, string>): Promise<DoctorFinding[]> {
  const findings: DoctorFinding[] = [];
  let batch: [path: string, oid: string][] = [];
  const flush = async (): Promise<void> => {
    const texts = await textsOf(ledger, batch.map(([, oid]) => oid));
    for (const [path, oid] of batch) {
      const text = texts.get(oid);
      if (text !== undefined) {
        const finding = canonicalFinding(ledger, path, text);
        if (finding) findings.push(finding);
      }
    }
    batch = [];
  };
  for (const [path, oid] of files) {
    if (path !== CONFIG_PATH && !(ledger.kinds.has(dirOf(path)) && idFromPath(path) !== undefined)) continue;
    batch.push([path, oid]);
    if (batch.length >= CANONICAL_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  return findings;
}

/** What is wrong with one file's form, if anything. */
function canonicalFinding(ledger: Ledger, path: string, text: string): DoctorFinding | undefined {
  const decoded = decodeLedgerFile(path, text, ledger.kinds);
  // An unreadable file is already reported by what it fails on.
  if (!('value' in decoded) || decoded.value === null) return undefined;
  let canonical: string;
  try {
    canonical = path === CONFIG_PATH ? encodeConfig(decoded.value as LedgerConfig) : ledger.kinds.get(dirOf(path))!.encode(decoded.value);
  } catch (error) {
    if (!(error instanceof GtError)) throw error;
    return { severity: 'error', path, message: error.message };
  }
  if (canonical === text) return undefined;
  const line = firstDifferentLine(text, canonical);
  return { severity: 'error', path, line: line.number, message: `not in canonical form: ${line.message} (write it as gt does)` };
}

function shown(line: string | undefined): string {
  if (line === undefined) return 'nothing (end of file)';
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line);
}

/** The first line where `text` and `canonical` part, as the message names it. */
function firstDifferentLine(text: string, canonical: string): { number: number; message: string } {
  const a = text.split('\n');
  const b = canonical.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  // split() leaves a last '' after a final line break: past it there is no line.
  const lineOf = (lines: string[], whole: string) => (i < lines.length - (whole.endsWith('\n') ? 1 : 0) ? lines[i] : undefined);
  const [expected, found] = [lineOf(b, canonical), lineOf(a, text)];
  if (expected === undefined && found === undefined) return { number: i, message: canonical.endsWith('\n') ? 'the file must end with one line break' : 'the file must not end with a line break' };
  return { number: i + 1, message: `gt writes ${shown(expected)} here, the file has ${shown(found)}` };
}
