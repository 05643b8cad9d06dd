/**
 * Option parsers shared by every command. Each turns a value check into a commander argument parser:
 * a bad value fails before the command runs, as one line (exit 2) that names the option, the value
 * and what would be right. Checks that need the ledger (bead types) use `checkOption` in the action.
 */
import { GtError, UsageError } from '../errors.js';
import { parseDepSpec, parseDepType, parseLabel, parsePriority, parseStatus } from '../beads/bead-input.js';
import { parseSortKey } from '../beads/queries.js';
import { parseAddress } from '../convoys/convoy-service.js';
import { parseRole } from '../work/hook-service.js';
import type { AgentRole } from '../agents/agent.js';
import { checkPrefix } from '../ledger/names.js';
import { parseDuration } from '../molecules/duration.js';
import type { BeadStatus, DepType } from '../beads/bead.js';

/** Runs a value check for an option, turning its failure into one line that names the option. */
export function checkOption<T>(flag: string, raw: string, parse: (raw: string) => T): T {
  try {
    return parse(raw);
  } catch (error) {
    if (!(error instanceof GtError)) throw error;
    const message = error.message.includes(flag) ? error.message : `${flag}${error.message.startsWith('takes ') ? ' ' : ': '}${error.message}`;
    throw new UsageError(error.hint ? `${message}; ${error.hint}` : message);
  }
}

/** A parser for a single-valued option. */
export function valueOf<T>(flag: string, parse: (raw: string) => T): (value: string) => T {
  return (value) => checkOption(flag, value, parse);
}

/** A parser for a repeatable option whose values may also be comma-separated (`-l a -l b,c`). */
export function listOf<T>(flag: string, parse: (raw: string) => T): (value: string, previous?: T[]) => T[] {
  return (value, previous = []) => {
    const items = value.split(',').map((v) => v.trim()).filter((v) => v !== '');
    return [...previous, ...items.map((item) => checkOption(flag, item, parse))];
  };
}

/** Collects a repeatable option (`-l a -l b,c`) into a list, as given. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function wholeNumber(raw: string): number {
  const n = /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`takes a whole number (0 or more), not '${raw}'`);
  return n;
}

function positiveSeconds(raw: string): number {
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`takes a number of seconds above 0, not '${raw}'`);
  return n;
}

function positiveDuration(raw: string): number {
  const ms = parseDuration(raw);
  if (ms === undefined || ms <= 0) throw new UsageError(`takes a duration above 0 such as 5s, 0.5s or 1m, not '${raw}'`);
  return ms;
}

/** `name=value`, the name a valid variable name. */
function varPair(raw: string): string {
  const eq = raw.indexOf('=');
  if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(raw.slice(0, eq).trim())) throw new UsageError(`takes name=value, not '${raw}'`);
  return raw;
}

export const parseLimit = valueOf('--limit', wholeNumber);
function positiveCount(raw: string): number {
  if (!/^\s*[1-9]\d{0,5}\s*$/.test(raw)) throw new UsageError(`takes a whole number of at least 1, not '${raw}'`);
  return Number(raw);
}
/** A whole number of at least 1 (how many polecats). */
export const countOption = (flag: string): ((value: string) => number) => valueOf(flag, positiveCount);
export const secondsOption = (flag: string): ((value: string) => number) => valueOf(flag, positiveSeconds);
/** A duration (`5s`, `0.5s`, `1m`) in milliseconds. */
export const durationOption = (flag: string): ((value: string) => number) => valueOf(flag, positiveDuration);
export const priorityOption = valueOf<number>('--priority', parsePriority);
export const priorityList = listOf<number>('--priority', parsePriority);
export const statusOption = valueOf<BeadStatus>('--status', parseStatus);
export const statusList = listOf<BeadStatus>('--status', parseStatus);
export const labelList = (flag: string): ((value: string, previous?: string[]) => string[]) => listOf(flag, parseLabel);
export const depSpecList = listOf<{ type: DepType; id: string }>('--deps', parseDepSpec);
export const depTypeOption = valueOf<DepType>('--type', parseDepType);
export const sortKeyOption = valueOf('--sort', parseSortKey);
export const addressOption = (flag: string): ((value: string) => string) => valueOf(flag, parseAddress);
export const addressList = (flag: string): ((value: string, previous?: string[]) => string[]) => listOf(flag, parseAddress);
export const roleOption = valueOf<AgentRole>('--role', parseRole);
/** `--var name=value` (repeatable; a value may contain commas, so it is not split). */
export function varList(value: string, previous: string[] = []): string[] {
  return [...previous, checkOption('--var', value, varPair)];
}
/** One of a fixed set of words. */
export function oneOf<T extends string>(flag: string, allowed: readonly T[], what = 'value'): (value: string) => T {
  return valueOf(flag, (raw) => {
    const value = raw.trim().toLowerCase();
    if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`invalid ${what} '${raw}'`, `use one of: ${allowed.join(', ')}`);
    return value as T;
  });
}
/** An agent to assign to; "" means nobody. */
export const assigneeOption = (flag: string): ((value: string) => string) => valueOf(flag, (raw) => (raw.trim() === '' ? '' : parseAddress(raw)));
/** A ledger id prefix: 2 to 8 lowercase letters. */
export const prefixOption = valueOf('--prefix', checkPrefix);
