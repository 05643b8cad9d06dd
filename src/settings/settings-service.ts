/**
 * Effective settings: for each known key, the value from the first of environment (`GT_<SECTION>_<KEY>`),
 * the machine-local file (`<git common dir>/gt/config.yaml`, `gt config set --local`), the ledger's
 * gt.yaml (shared by every clone) and the key's default. Changing the ledger's settings is the
 * overseer's: an agent's `config set` is refused, so settings never travel on agent branches from gt
 * (a ledger merged from another clone still merges them key by key, see settings-store.ts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import type { LedgerConfig, SettingValue, SettingsMap } from '../ledger/config.js';
import { decodeSettingsFile, encodeSettingsFile } from '../ledger/config-codec.js';
import { splitSettingKey, storedSetting, withSetting, withoutSetting } from '../ledger/settings-store.js';
import type { Transaction } from '../ledger/ledger.js';
import type { Actor } from '../ledger/actor.js';
import type { DoctorFinding } from '../ledger/doctor.js';
import { withStateLock } from '../ledger/write-lock.js';
import { parseDuration } from '../molecules/duration.js';
import { GtError, LedgerFileError, RuleError, UsageError } from '../errors.js';
import { SETTINGS, envNameOf, parseSettingText, settingSpec, settingValueProblem, type SettingSpec } from './registry.js';

export type SettingSource = 'default' | 'ledger' | 'local' | 'env';

/** One key as `gt config list --json` shows it. */
export interface EffectiveSetting {
  key: string;
  /** null: no value anywhere and no default. */
  value: SettingValue | null;
  source: SettingSource;
  default: SettingValue | null;
  description: string;
  /** Values found but refused: a bad value in one place falls through to the next. */
  problems?: SettingProblem[];
}

/** Typed effective settings, for the code that acts on them (polecats, witness, refinery). Durations in ms. */
export interface Settings {
  runtime: { command: string | undefined };
  polecats: { max: number; names: string[]; idleExitMs: number; backoffMs: number };
  witness: { stallAfterMs: number; maxRestarts: number };
  observer: { branches: string[] };
  refinery: { target: string | undefined; strategy: 'merge' | 'rebase'; testCommand: string | undefined; testTimeoutMs: number; maxAttempts: number; batchMax: number; remote: string | undefined };
}

export interface SettingProblem {
  source: Exclude<SettingSource, 'default'>;
  /** The variable or file holding the bad value. */
  where: string;
  message: string;
}

export interface SettingsContext {
  /** The repository's git dir (a worktree's is followed to the common dir): where the local file is. */
  gitDir: string;
  /** Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** `<git common dir>/gt/config.yaml`: machine-local overrides, never on the ledger. */
export function localSettingsPath(gitDir: string): string {
  const commonFile = join(gitDir, 'commondir');
  const common = existsSync(commonFile) ? resolve(gitDir, readFileSync(commonFile, 'utf8').trim()) : gitDir;
  return join(common, 'gt', 'config.yaml');
}

export function readLocalSettings(gitDir: string): SettingsMap {
  const path = localSettingsPath(gitDir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    return decodeSettingsFile(text, path);
  } catch (error) {
    // The file is this machine's, not the ledger's: say so, and how to put it right.
    if (error instanceof LedgerFileError) throw new LedgerFileError(error.path, error.line, error.problem, `fix or remove ${path}, this machine's settings file (gt config set --local writes it)`);
    throw error;
  }
}

/**
 * Temporary files of `gt config set --local` runs killed between writing and renaming
 * (`config.yaml.<pid>.<hex>.tmp`): their process is gone, and the file they were to replace is whole.
 */
export function leftoverLocalTemps(gitDir: string): string[] {
  const path = localSettingsPath(gitDir);
  const dir = dirname(path);
  if (!existsSync(dir)) return [];
  const prefix = `${basename(path)}.`;
  return readdirSync(dir)
    .filter((name) => name.startsWith(prefix) && name.endsWith('.tmp'))
    .filter((name) => {
      const pid = Number(name.slice(prefix.length).split('.')[0]);
      return Number.isSafeInteger(pid) && pid > 0 && !processAlive(pid);
    })
    .map((name) => join(dir, name));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `gt doctor --fix`: removes leftoverLocalTemps; one line per file. */
export function removeLeftoverLocalTemps(gitDir: string): string[] {
  return leftoverLocalTemps(gitDir).map((file) => {
    rmSync(file, { force: true });
    return `removed ${file} (left by a gt config set --local that was killed)`;
  });
}

function localValue(local: SettingsMap, key: string): SettingValue | undefined {
  const [section, name] = splitSettingKey(key)!;
  return local[section]?.[name];
}

/** Every known key with its effective value and where it came from (env > local > ledger > default). */
export function resolveSettings(config: LedgerConfig | undefined, context: SettingsContext): EffectiveSetting[] {
  const env = context.env ?? process.env;
  const local = readLocalSettings(context.gitDir);
  const localPath = localSettingsPath(context.gitDir);
  return SETTINGS.map((spec) => {
    const problems: SettingProblem[] = [];
    const candidates: [SettingSource, () => SettingValue | undefined][] = [
      ['env', () => {
        const raw = env[envNameOf(spec.key)];
        if (raw === undefined || raw === '') return undefined;
        try {
          return parseSettingText(spec, raw);
        } catch (error) {
          if (!(error instanceof GtError)) throw error;
          problems.push({ source: 'env', where: envNameOf(spec.key), message: error.message });
          return undefined;
        }
      }],
      ['local', () => checkedStored(spec, localValue(local, spec.key), { source: 'local', where: localPath }, problems)],
      ['ledger', () => (config ? checkedStored(spec, storedSetting(config, spec.key), { source: 'ledger', where: 'gt.yaml' }, problems) : undefined)],
    ];
    let found: { value: SettingValue; source: SettingSource } | undefined;
    for (const [source, read] of candidates) {
      const value = read();
      if (value === undefined) continue;
      found = { value, source };
      break;
    }
    return {
      key: spec.key,
      value: found?.value ?? spec.default ?? null,
      source: found?.source ?? 'default',
      default: spec.default ?? null,
      description: spec.description,
      ...(problems.length > 0 ? { problems } : {}),
    };
  });
}

function checkedStored(spec: SettingSpec, value: SettingValue | undefined, at: Omit<SettingProblem, 'message'>, problems: SettingProblem[]): SettingValue | undefined {
  if (value === undefined) return undefined;
  const message = settingValueProblem(spec, value);
  if (message === undefined) return value;
  problems.push({ ...at, message });
  return undefined;
}

/** A refused value as one line: `GT_POLECATS_MAX: polecats.max takes …`. */
export function describeSettingProblem(problem: SettingProblem): string {
  return `${problem.source === 'ledger' ? 'gt.yaml on the ledger' : problem.where}: ${problem.message}`;
}

/**
 * The typed effective settings of a ledger view's config. A bad value anywhere (an environment
 * variable, the local file, gt.yaml) is refused, naming where it is: code must not run on a setting
 * other than the one the user gave.
 */
export function settingsOf(view: { config: LedgerConfig } | undefined, context: SettingsContext): Settings {
  const effective = new Map(resolveSettings(view?.config, context).map((s) => [s.key, s]));
  for (const s of effective.values()) {
    const problem = s.problems?.[0];
    if (problem === undefined) continue;
    if (problem.source === 'env') throw new UsageError(describeSettingProblem(problem));
    throw new LedgerFileError(problem.where, undefined, problem.message, `fix it with gt config set${problem.source === 'local' ? ' --local' : ''} ${s.key} <value>, or unset it`);
  }
  const value = (key: string): SettingValue | null => effective.get(key)!.value;
  const text = (key: string): string | undefined => (value(key) === null ? undefined : String(value(key)));
  const ms = (key: string): number => parseDuration(String(value(key)))!;
  return {
    runtime: { command: text('runtime.command') },
    polecats: { max: value('polecats.max') as number, names: [...(value('polecats.names') as string[])], idleExitMs: ms('polecats.idle_exit'), backoffMs: ms('polecats.backoff') },
    witness: { stallAfterMs: ms('witness.stall_after'), maxRestarts: value('witness.max_restarts') as number },
    observer: { branches: [...(value('observer.branches') as string[])] },
    refinery: {
      target: text('refinery.target'),
      strategy: value('refinery.strategy') as 'merge' | 'rebase',
      testCommand: text('refinery.test_command'),
      testTimeoutMs: ms('refinery.test_timeout'),
      maxAttempts: value('refinery.max_attempts') as number,
      batchMax: value('refinery.batch_max') as number,
      remote: text('refinery.remote'),
    },
  };
}

function requireOverseer(actor: Actor, verb: string): void {
  if (!actor.isOverseer) {
    throw new RuleError(`settings are the overseer's: agent ${actor.name} cannot ${verb} them (run without --as and GT_AGENT, or with --as overseer)`);
  }
}

export interface SettingChange {
  key: string;
  value: SettingValue | null;
  /** False when the value was already that (or the key was not set): nothing to commit. */
  changed: boolean;
}

/** Sets a key in the ledger's gt.yaml (stamped with the transaction's time). The overseer's only. */
export function setSetting(tx: Transaction, key: string, raw: string): SettingChange {
  requireOverseer(tx.actor, 'change');
  const spec = settingSpec(key);
  const value = parseSettingText(spec, raw);
  const next = withSetting(tx.config, spec.key, value, tx.now);
  const changed = next !== tx.config;
  if (changed) tx.setConfig(next);
  return { key: spec.key, value, changed };
}

/** Removes a key from the ledger's gt.yaml: its value falls back to the default. The overseer's only. */
export function unsetSetting(tx: Transaction, key: string): SettingChange {
  requireOverseer(tx.actor, 'change');
  const spec = settingSpec(key);
  const next = withoutSetting(tx.config, spec.key);
  const changed = next !== tx.config;
  if (changed) tx.setConfig(next);
  return { key: spec.key, value: null, changed };
}

function writeLocal(gitDir: string, settings: SettingsMap): void {
  const path = localSettingsPath(gitDir);
  const text = encodeSettingsFile(settings);
  if (text === '') {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Changes the local file under a lock of its own, so two `set --local` at once both land. */
async function changeLocal(gitDir: string, actor: Actor, change: (settings: SettingsMap, section: string, name: string) => boolean, key: string): Promise<boolean> {
  requireOverseer(actor, 'change');
  const stateDir = dirname(localSettingsPath(gitDir));
  return withStateLock(stateDir, 'config', 5000, async () => {
    const settings = readLocalSettings(gitDir);
    const [section, name] = splitSettingKey(key)!;
    const changed = change(settings, section, name);
    if (changed) writeLocal(gitDir, settings);
    return changed;
  });
}

/** Sets a key in this machine's local file (`--local`). */
export async function setLocalSetting(gitDir: string, actor: Actor, key: string, raw: string): Promise<SettingChange> {
  const spec = settingSpec(key);
  const value = parseSettingText(spec, raw);
  const changed = await changeLocal(gitDir, actor, (settings, section, name) => {
    if (JSON.stringify(settings[section]?.[name]) === JSON.stringify(value)) return false;
    (settings[section] ??= {})[name] = value;
    return true;
  }, spec.key);
  return { key: spec.key, value, changed };
}

/** Removes a key from this machine's local file (`--local`). */
export async function unsetLocalSetting(gitDir: string, actor: Actor, key: string): Promise<SettingChange> {
  const spec = settingSpec(key);
  const changed = await changeLocal(gitDir, actor, (settings, section, name) => {
    if (settings[section]?.[name] === undefined) return false;
    delete settings[section]![name];
    if (Object.keys(settings[section]!).length === 0) delete settings[section];
    return true;
  }, spec.key);
  return { key: spec.key, value: null, changed };
}

/** Keys stored in a settings map that this gt does not know (a typo made by hand, or a newer gt's key). */
function unknownKeys(map: SettingsMap | undefined): string[] {
  const known = new Set(SETTINGS.map((s) => s.key));
  return Object.entries(map ?? {})
    .flatMap(([section, keys]) => Object.keys(keys ?? {}).map((name) => `${section}.${name}`))
    .filter((key) => !known.has(key))
    .sort();
}

/**
 * What `gt doctor` says of the settings: every stored or environment value gt refuses (and so falls
 * through to the next source), and every stored key it does not know. Warnings: nothing is unreadable.
 */
export function settingFindings(config: LedgerConfig | undefined, context: SettingsContext): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  for (const file of leftoverLocalTemps(context.gitDir)) findings.push({ severity: 'warning', message: `${file} was left by a gt config set --local that was killed (fix: gt doctor --fix removes it)` });
  try {
    readLocalSettings(context.gitDir);
  } catch (error) {
    if (!(error instanceof GtError)) throw error;
    // Not repaired by --fix: moving it aside would run gt on settings other than the ones written there.
    findings.push({ severity: 'error', message: `${error.message} (commands that need settings refuse to run; ${error.hint ?? 'fix it'})` });
    return findings;
  }
  for (const row of resolveSettings(config, context)) {
    for (const problem of row.problems ?? []) {
      findings.push({ severity: 'warning', ...(problem.source === 'ledger' ? { path: 'gt.yaml' } : {}), message: `${describeSettingProblem(problem)} (ignored)` });
    }
  }
  const hint = `known keys: ${SETTINGS.map((s) => s.key).join(', ')}`;
  for (const key of unknownKeys(config?.settings)) findings.push({ severity: 'warning', path: 'gt.yaml', message: `unknown setting ${key} (ignored; ${hint})` });
  for (const key of unknownKeys(readLocalSettings(context.gitDir))) {
    findings.push({ severity: 'warning', message: `${localSettingsPath(context.gitDir)}: unknown setting ${key} (ignored; ${hint})` });
  }
  return findings;
}
