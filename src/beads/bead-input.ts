import { UsageError } from '../errors.js';
import type { LedgerConfig } from '../ledger/config.js';
import {
  BEAD_STATUSES,
  BUILTIN_BEAD_TYPES,
  DEP_TYPES,
  MAX_PRIORITY,
  MIN_PRIORITY,
  type BeadStatus,
  type DepType,
} from './bead.js';

/**
 * The field checks of a bead, one of each: `…Problem` functions say what is wrong with a value (or
 * undefined), and are what a ledger file's decoding (bead-codec.ts), an import (interop.ts) and the
 * `parse…` functions for values typed by a user all use. `parse…` functions fail with one line that
 * says what is wrong and what is right.
 */

export { idProblem } from '../ledger/names.js';
import { parseChoice } from '../ledger/validate.js';

export const MAX_TITLE_LENGTH = 500;

/** A title as gt stores it: runs of whitespace (line breaks too) made one space, trimmed. */
export function normalizeTitle(raw: string): string {
  return raw.replace(/\s+/g, ' ').trim();
}

/** What is wrong with a title (after normalizeTitle). */
export function titleProblem(title: string): string | undefined {
  if (title === '') return 'the title must not be empty';
  if (title.length > MAX_TITLE_LENGTH) return `the title is ${title.length} characters long; at most ${MAX_TITLE_LENGTH} are allowed`;
  return undefined;
}

export function parseTitle(raw: string): string {
  const title = normalizeTitle(raw);
  const problem = titleProblem(title);
  if (problem !== undefined) {
    throw new UsageError(problem, title === '' ? 'give the bead a short title, e.g. gt create "Fix login bug"' : 'put the details in --description');
  }
  return title;
}

/** What is wrong with a label: labels are single words, without spaces or commas. */
export function labelProblem(label: string): string | undefined {
  if (label === '') return 'a label must not be empty';
  if (/[\s,]/.test(label)) return `label '${label.replace(/\s/g, ' ')}' holds a space or a comma`;
  return undefined;
}

export function parsePriority(raw: string | number): number {
  const text = String(raw).trim().toUpperCase().replace(/^P/, '');
  const value = Number(text);
  if (text === '' || !Number.isInteger(value) || value < MIN_PRIORITY || value > MAX_PRIORITY) {
    throw new UsageError(`invalid priority '${raw}'`, `use ${MIN_PRIORITY} (most urgent) to ${MAX_PRIORITY}, or P0 to P4`);
  }
  return value;
}

export function parseStatus(raw: string): BeadStatus {
  return parseChoice(raw, BEAD_STATUSES, 'status');
}

export function knownTypes(config: LedgerConfig): string[] {
  return [...BUILTIN_BEAD_TYPES, ...config.types];
}

export function parseType(raw: string, config: LedgerConfig): string {
  const value = raw.trim().toLowerCase();
  const known = knownTypes(config);
  if (!known.includes(value)) {
    throw new UsageError(`invalid type '${raw}'`, `use one of: ${known.join(', ')} (declare more under 'types:' in gt.yaml on the ledger)`);
  }
  return value;
}

export function parseDepType(raw: string): DepType {
  return parseChoice(raw, DEP_TYPES, 'dependency type');
}

/** `blocks:gt-4f2a`, or a bare id meaning `blocks`. */
export function parseDepSpec(raw: string): { type: DepType; id: string } {
  const colon = raw.indexOf(':');
  if (colon < 0) return { type: 'blocks', id: raw.trim() };
  const id = raw.slice(colon + 1).trim();
  if (id === '') throw new UsageError(`dependency '${raw}' names no bead`, 'write it as <type>:<id>, e.g. blocks:gt-4f2a');
  return { type: parseDepType(raw.slice(0, colon)), id };
}

export function parseLabel(raw: string): string {
  const label = raw.trim();
  if (labelProblem(label) !== undefined) {
    throw new UsageError(`invalid label '${raw}'`, 'labels are single words without spaces or commas, e.g. auth or needs-review');
  }
  return label;
}

/** Splits comma-separated option values (`-l a,b -l c`). */
export function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}
