/** Protomolecules and molecules built in code, for the molecule runtime's unit tests. */
import type { ProtoStep, Protomolecule } from '../../src/formulas/protomolecule.js';
import { moleculeFromProto } from '../../src/molecules/pour.js';
import type { Molecule } from '../../src/molecules/molecule.js';

export const T0 = '2026-01-01T00:00:00.000Z';

/** ISO time `minutes` after T0. */
export function at(minutes: number): string {
  return new Date(Date.parse(T0) + minutes * 60_000).toISOString();
}

export function ms(minutes: number): number {
  return Date.parse(T0) + minutes * 60_000;
}

export function step(id: string, needs: string[] = [], extra: Partial<ProtoStep> = {}): ProtoStep {
  return { id, title: `Do ${id}`, description: `How to do ${id}.`, needs, ...extra };
}

export function proto(steps: ProtoStep[], extra: Partial<Protomolecule> = {}): Protomolecule {
  return { formula: 'test-flow', version: 1, type: 'workflow', vars: {}, steps, source: '/formulas/test-flow.formula.toml', ...extra };
}

export function pour(p: Protomolecule, extra: { id?: string; assignee?: string; bead?: { id: string; title: string }; vars?: Record<string, string> } = {}): Molecule {
  return moleculeFromProto(p, {
    id: extra.id ?? 'gt-mol-test',
    vars: extra.vars ?? {},
    now: T0,
    actor: 'overseer',
    ...(extra.assignee ? { assignee: extra.assignee } : {}),
    ...(extra.bead ? { bead: extra.bead } : {}),
  });
}

/** design → implement → {review, test} → submit */
export function shiny(): Protomolecule {
  return proto([
    step('design'),
    step('implement', ['design']),
    step('review', ['implement']),
    step('test', ['implement']),
    step('submit', ['review', 'test']),
  ]);
}

/** A chain of `n` steps, each needing the one before. */
export function chain(n: number): Protomolecule {
  return proto(Array.from({ length: n }, (_, i) => step(`s${i + 1}`, i === 0 ? [] : [`s${i}`])));
}
