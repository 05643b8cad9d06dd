/**
 * Whether native git merges (and diffs) of this repository's ledger branches go through gt: the
 * ledger's `.gitattributes` (attributes.ts) and the merge and diff drivers in the repository's config. `gt init` sets both up;
 * `gt doctor` says what is missing and `gt doctor --fix` puts it right.
 */
import type { Ledger } from './ledger.js';
import type { DoctorFinding } from './doctor.js';
import { ATTRIBUTES_PATH, ledgerAttributesCurrent } from './attributes.js';
import { DIFF_XFUNCNAME, MERGE_DRIVER_NAME, infoAttributesCurrent, registerDiffDriver, registerMergeDriver, registeredDiffDriver, registeredMergeDriver, writeInfoAttributes } from '../git/merge-driver-config.js';
import { hasNativeGit } from '../git/native-reader.js';

/** The ledger's entity folders, whose files the diff driver names. */
function kindDirs(ledger: Ledger): string[] {
  return [...ledger.kinds.keys()];
}

function cwdOf(ledger: Ledger): string {
  return ledger.repo.paths.workTree ?? ledger.repo.paths.gitDir;
}

/** What keeps native merges of ledger branches from going through gt (`command`: this gt's driver). */
export async function mergeDriverFindings(ledger: Ledger, command: string): Promise<DoctorFinding[]> {
  const findings: DoctorFinding[] = [];
  const tip = ledger.ledgerTip();
  if (tip && !(await ledgerAttributesCurrent(ledger, tip))) {
    findings.push({ severity: 'warning', path: ATTRIBUTES_PATH, message: `the ledger's ${ATTRIBUTES_PATH} does not send ledger files to gt's merge and diff drivers: git merge and git pull of ledger branches can conflict (fix: gt doctor --fix)` });
  }
  // Without a git binary nothing runs native merges (nor could register a driver).
  if (!hasNativeGit()) return findings;
  const registered = registeredMergeDriver(cwdOf(ledger));
  if (registered === undefined) {
    findings.push({ severity: 'warning', message: `merge.${MERGE_DRIVER_NAME}.driver is not set in this repository: git merge and git pull of ledger branches can conflict (fix: gt doctor --fix)` });
  } else if (registered !== command) {
    findings.push({ severity: 'warning', message: `merge.${MERGE_DRIVER_NAME}.driver runs another gt (${registered}) (fix: gt doctor --fix, to use this one)` });
  }
  const diffDriver = registeredDiffDriver(cwdOf(ledger));
  if (diffDriver !== DIFF_XFUNCNAME) {
    const what = diffDriver === undefined ? 'is not set in this repository' : `is ${diffDriver}, not gt's`;
    findings.push({ severity: 'warning', message: `diff.${MERGE_DRIVER_NAME}.xfuncname ${what}: git diff of ledger files does not name the bead in hunk headers (fix: gt doctor --fix)` });
  }
  if (!infoAttributesCurrent(ledger.repo.paths.commonDir, kindDirs(ledger))) {
    findings.push({ severity: 'warning', message: `info/attributes does not send ledger files to gt's diff driver: git diff gt/ledger~1 gt/ledger from another branch does not name the bead in hunk headers (fix: gt doctor --fix)` });
  }
  return findings;
}

/** Sets up both (the driver only where git is installed); returns one line per thing it changed. */
export async function setUpMergeDriver(ledger: Ledger, command: string): Promise<string[]> {
  const done: string[] = [];
  if (ledger.ledgerTip() && (await ledger.writeAttributes())) done.push(`wrote the ledger's ${ATTRIBUTES_PATH} (ledger files merge and diff through gt)`);
  if (hasNativeGit() && registerMergeDriver(cwdOf(ledger), command)) done.push(`registered gt's merge driver (git config merge.${MERGE_DRIVER_NAME}.driver)`);
  if (hasNativeGit() && registerDiffDriver(cwdOf(ledger))) done.push(`registered gt's diff driver (git config diff.${MERGE_DRIVER_NAME}.xfuncname)`);
  if (hasNativeGit() && writeInfoAttributes(ledger.repo.paths.commonDir, kindDirs(ledger))) done.push(`sent ledger files to gt's diff driver from every branch (info/attributes)`);
  return done;
}
