/**
 * The protomolecule: a formula cooked (extends, expansions, aspects, loops, branches, gates and
 * conditions resolved) into a flat list of steps. This is the contract between the formula engine
 * (src/formulas/) and the molecule runtime (src/molecules/): pouring binds variables and writes the
 * steps as a molecule. Cooking is deterministic: the same input gives the same value, key order included.
 */

export const FORMULA_TYPES = ['workflow', 'expansion', 'aspect', 'convoy'] as const;
export type FormulaType = (typeof FORMULA_TYPES)[number];

export interface VarSpec {
  description?: string;
  default?: string;
  required?: boolean;
  enum?: string[];
  pattern?: string;
  /** string (default), int or bool: checked when a value is bound. */
  type?: 'string' | 'int' | 'bool';
  /** Convoy inputs: required unless one of these is given. */
  required_unless?: string[];
}

/** A gate holds its step until it resolves: human gates by `gt gate resolve`, timers by time. */
export interface GateSpec {
  type: string;
  id?: string;
  await_id?: string;
  /** Duration like "30m", "2h", "1d" (timer gates: how long after the step becomes ready). */
  timeout?: string;
  condition?: string;
}

export interface ProtoStep {
  /** Final id, unique in the molecule: `implement.draft`, `move.iter3.move-disk`, `implement-security-prescan`. */
  id: string;
  title: string;
  description?: string;
  notes?: string;
  acceptance?: string;
  /** As written in the formula (task, bug, feature, chore, epic, gate, human, …); absent = task. */
  type?: string;
  priority?: number;
  labels?: string[];
  assignee?: string;
  metadata?: Record<string, unknown>;
  /** Ids of the steps this one waits for, in the order the formula gives them. */
  needs: string[];
  /** The containing step, for `children` (the container is an epic that completes with its children). */
  parent?: string;
  waits_for?: string;
  gate?: GateSpec;
  /** Kept when it cannot be decided at cook time (a runtime condition); steps whose condition is false are dropped. */
  condition?: string;
  /** `until` loops and `on_complete` hooks, kept for the runtime as upstream keeps them (labels there). */
  loop_until?: {
    until: string;
    max: number;
    /** The ids of the loop body's steps (one iteration), to run again. */
    body?: string[];
  };
  on_complete?: Record<string, unknown>;
  /** Step keys upstream carries without acting on them (e.g. `parallel`, `interactive`), kept as written. */
  extras?: Record<string, unknown>;
}

export interface ConvoyLeg {
  id: string;
  title: string;
  description?: string;
  focus?: string;
  agent?: string;
  review_only?: boolean;
}

/** What `gt formula run` turns into beads: one per leg, a synthesis bead blocked by the legs, one convoy. */
export interface ConvoyPlan {
  legs: ConvoyLeg[];
  synthesis?: { title: string; description?: string; depends_on?: string[] };
  presets: Record<string, { description?: string; legs: string[] }>;
  /** `[prompts]` (e.g. `base`, a Go-style template with `{{.field}}`s) and `[output]`, as written. */
  prompts?: Record<string, string>;
  output?: Record<string, string>;
}

export interface Protomolecule {
  formula: string;
  version: number;
  type: FormulaType;
  description?: string;
  phase?: 'liquid' | 'vapor';
  pour?: boolean;
  /** Every variable after extends (child overrides parent), sorted by name. */
  vars: Record<string, VarSpec>;
  /** In execution-compatible order: every step comes after the steps it needs. */
  steps: ProtoStep[];
  /** Keys upstream files carry that upstream ignores (e.g. `squash`), kept as written. */
  extras?: Record<string, unknown>;
  convoy?: ConvoyPlan;
  /** Where the formula was found. */
  source: string;
}
