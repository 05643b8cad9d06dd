/** The parsed, checked form of one `*.formula.toml` file, before cooking. */
import type { ConvoyLeg, FormulaType, GateSpec, VarSpec } from './protomolecule.js';
import type { Origin } from './formula-error.js';
import type { LineIndex } from './source-index.js';

export interface StepDef {
  id: string;
  title?: string;
  description?: string;
  notes?: string;
  type?: string;
  priority?: number;
  labels?: string[];
  metadata?: Record<string, unknown>;
  /** `needs` and `depends_on` together, in that order, without repeats. */
  needs: string[];
  /** The needs written under `depends_on` (and not `needs`), to point errors at the right key. */
  dependsOn?: ReadonlySet<string>;
  waits_for?: string;
  assignee?: string;
  acceptance?: string;
  expand?: string;
  expand_vars?: Record<string, string>;
  condition?: string;
  children?: StepDef[];
  gate?: GateSpec;
  loop?: LoopDef;
  on_complete?: Record<string, unknown>;
  /** Keys upstream carries without acting on them (`parallel`, `interactive`), kept as written. */
  extras?: Record<string, unknown>;
  origin: Origin;
}

export interface LoopDef {
  count?: number;
  range?: string;
  var?: string;
  until?: string;
  max?: number;
  body: StepDef[];
  origin: Origin;
}

export interface AdviceStepDef {
  id: string;
  title?: string;
  description?: string;
  type?: string;
  args?: unknown;
  output?: unknown;
  origin: Origin;
}

export interface AdviceDef {
  target: string;
  before: AdviceStepDef[];
  after: AdviceStepDef[];
  /** The pointcuts of the formula the advice comes from: a step must match one (when there are any). */
  pointcuts: PointcutDef[];
  origin: Origin;
}

export interface PointcutDef {
  glob?: string;
  type?: string;
  label?: string;
}

export interface ExpandRule {
  target: string;
  with: string;
  vars?: Record<string, string>;
  origin: Origin;
}

export interface MapRule {
  select: string;
  with: string;
  vars?: Record<string, string>;
  origin: Origin;
}

export interface BranchRule {
  from: string;
  steps: string[];
  join: string;
  origin: Origin;
}

export interface GateRule {
  before: string;
  condition: string;
  origin: Origin;
}

export interface NamedRef {
  name: string;
  origin: Origin;
}

export interface ComposeDef {
  expand: ExpandRule[];
  map: MapRule[];
  branch: BranchRule[];
  gate: GateRule[];
  aspects: NamedRef[];
  /** Runtime attachment points and hooks: kept for the runtime, as upstream keeps them. */
  bond_points: Record<string, unknown>[];
  hooks: Record<string, unknown>[];
}

export interface VarDef extends VarSpec {
  origin: Origin;
}

export interface LegDef extends ConvoyLeg {
  origin: Origin;
}

export interface SynthesisDef {
  title?: string;
  description?: string;
  depends_on?: string[];
  origin: Origin;
}

export interface PresetDef {
  description?: string;
  legs: string[];
  origin: Origin;
}

export interface FormulaDef {
  name: string;
  file: string;
  description?: string;
  version: number;
  /** As declared; `inferType` gives the effective one. */
  type?: FormulaType;
  extends: NamedRef[];
  vars: Record<string, VarDef>;
  steps: StepDef[];
  template: StepDef[];
  compose: ComposeDef;
  advice: AdviceDef[];
  pointcuts: PointcutDef[];
  phase?: 'liquid' | 'vapor';
  pour?: boolean;
  legs: LegDef[];
  synthesis?: SynthesisDef;
  /** Convoy inputs, checked like variables. */
  inputs: Record<string, VarDef>;
  prompts: Record<string, string>;
  presets: Record<string, PresetDef>;
  output?: Record<string, string>;
  /** Keys upstream files carry that upstream ignores (`squash`, `agent`, `review_only`). */
  extras: Record<string, unknown>;
  lineOf: LineIndex;
  origin: Origin;
}

export function inferType(f: Pick<FormulaDef, 'type' | 'legs' | 'template' | 'steps' | 'advice' | 'extends'>): FormulaType {
  if (f.type) return f.type;
  if (f.legs.length > 0) return 'convoy';
  if (f.template.length > 0 && f.steps.length === 0) return 'expansion';
  if (f.advice.length > 0 && f.steps.length === 0 && f.extends.length === 0) return 'aspect';
  return 'workflow';
}
