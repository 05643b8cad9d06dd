/**
 * `gt formula run` for convoy formulas: one bead per leg (the preset's legs when one is named), a
 * synthesis bead blocked by the legs, and one convoy tracking them all, written in one transaction
 * (one commit). With agents, the first legs are hooked on them round-robin, one per free agent; the
 * agents become the convoy's feed targets, so the observer hands them the other legs as they finish.
 */
import type { Bead } from '../beads/bead.js';
import { createBead } from '../beads/bead-service.js';
import { createConvoy } from '../convoys/convoy-service.js';
import type { Convoy } from '../convoys/convoy.js';
import { slingBead } from './hook-service.js';
import { hookedOn } from '../agents/hook.js';
import type { Transaction } from '../ledger/ledger.js';
import { UsageError } from '../errors.js';
import { renderTemplate } from '../formulas/go-template.js';
import type { ConvoyLeg, Protomolecule } from '../formulas/protomolecule.js';
import { substituteVars } from '../formulas/text.js';

export interface PlannedBead {
  /** The leg id, or `synthesis`. */
  key: string;
  title: string;
  description?: string;
  /** The synthesis: the legs it waits for. */
  after?: string[];
}

export interface ConvoyRunPlan {
  formula: string;
  preset?: string;
  convoyTitle: string;
  convoyDescription: string;
  legs: PlannedBead[];
  synthesis?: PlannedBead;
}

/** The values of the formula's variables and inputs: given ones, else defaults. */
function valuesOf(proto: Protomolecule, given: Readonly<Record<string, string>>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(proto.vars)) if (spec.default !== undefined) values[name] = spec.default;
  return { ...values, ...given };
}

export function planConvoyRun(proto: Protomolecule, options: { preset?: string; vars: Readonly<Record<string, string>> }): ConvoyRunPlan {
  const plan = proto.convoy;
  if (proto.type !== 'convoy' || !plan) {
    throw new UsageError(`'${proto.formula}' is a ${proto.type} formula, not a convoy formula`, `pour it as a molecule instead: gt mol pour ${proto.formula}`);
  }
  let legs: ConvoyLeg[] = plan.legs;
  if (options.preset !== undefined) {
    const preset = plan.presets[options.preset];
    if (!preset) {
      const names = Object.keys(plan.presets);
      throw new UsageError(`'${proto.formula}' has no preset '${options.preset}'`, names.length > 0 ? `presets: ${names.join(', ')}` : 'this formula has no presets: leave out --preset');
    }
    const byId = new Map(plan.legs.map((l) => [l.id, l]));
    legs = preset.legs.map((id) => byId.get(id)!);
  }
  if (legs.length === 0) throw new UsageError(`'${proto.formula}' has no legs to run`);
  const values = valuesOf(proto, options.vars);
  const output = plan.output ?? {};
  const base: Record<string, unknown> = { ...values, formula_name: proto.formula };
  const renderedOutput: Record<string, string> = {};
  for (const [k, v] of Object.entries(output)) renderedOutput[k] = renderTemplate(v, base);
  base.output = renderedOutput;
  const text = (t: string | undefined, data: Record<string, unknown>): string | undefined =>
    t === undefined ? undefined : substituteVars(renderTemplate(t, data), new Map(Object.entries(values))).trim();
  const planned: PlannedBead[] = legs.map((leg) => {
    const legData = { id: leg.id, title: leg.title, focus: leg.focus ?? '', description: leg.description ?? '' };
    const data: Record<string, unknown> = { ...base, leg: legData };
    if (output.directory !== undefined && output.leg_pattern !== undefined) {
      data.output_path = `${renderedOutput.directory}/${renderTemplate(output.leg_pattern, data)}`;
    }
    const prompt = plan.prompts?.base;
    let description = prompt !== undefined ? text(prompt, data) : text(leg.description, data);
    if (prompt === undefined && leg.focus) description = `Focus: ${leg.focus}${description ? `\n\n${description}` : ''}`;
    return { key: leg.id, title: leg.title, ...(description ? { description } : {}) };
  });
  const chosen = new Set(legs.map((l) => l.id));
  const out: ConvoyRunPlan = {
    formula: proto.formula,
    convoyTitle: `${proto.formula}${options.preset !== undefined ? ` (${options.preset})` : ''}`,
    convoyDescription: `Convoy formula ${proto.formula}${options.preset !== undefined ? `, preset ${options.preset}` : ''}: ${planned.length} legs${plan.synthesis ? ' and a synthesis' : ''}`,
    legs: planned,
  };
  if (options.preset !== undefined) out.preset = options.preset;
  if (plan.synthesis) {
    const description = text(plan.synthesis.description, base);
    // The synthesis waits for the legs it names that run (all of them when it names none).
    const named = (plan.synthesis.depends_on ?? [...chosen]).filter((id) => chosen.has(id));
    const after = named.length > 0 ? named : [...chosen];
    out.synthesis = { key: 'synthesis', title: plan.synthesis.title, ...(description ? { description } : {}), after };
  }
  return out;
}

export interface ConvoyRunResult {
  convoy: Convoy;
  legs: Bead[];
  synthesis?: Bead;
  hooked: { bead: string; agent: string }[];
  busy: string[];
}

export function runConvoyPlan(tx: Transaction, plan: ConvoyRunPlan, agents: readonly string[]): ConvoyRunResult {
  const labels = [`formula:${plan.formula}`];
  const legIds = new Map<string, string>();
  const legs = plan.legs.map((leg) => {
    const bead = createBead(tx, { title: leg.title, labels, ...(leg.description !== undefined ? { description: leg.description } : {}) });
    legIds.set(leg.key, bead.id);
    return bead;
  });
  let synthesis: Bead | undefined;
  if (plan.synthesis) {
    const after = plan.synthesis.after ?? plan.legs.map((l) => l.key);
    synthesis = createBead(tx, {
      title: plan.synthesis.title,
      labels: [...labels, 'synthesis'],
      ...(plan.synthesis.description !== undefined ? { description: plan.synthesis.description } : {}),
      deps: after.map((key) => ({ type: 'blocks' as const, id: legIds.get(key)! })),
    });
  }
  const convoy = createConvoy(tx, {
    title: plan.convoyTitle,
    description: plan.convoyDescription,
    beads: [...legs.map((b) => b.id), ...(synthesis ? [synthesis.id] : [])],
    feed: [...agents],
  });
  const hooked: { bead: string; agent: string }[] = [];
  const busy: string[] = [];
  // Round-robin over the agents, one leg each: an agent's hook holds one piece of work at a time.
  let next = 0;
  for (const agent of agents) {
    if (hookedOn(tx.beads, agent).length > 0) {
      busy.push(agent);
      continue;
    }
    const leg = legs[next++];
    if (!leg) break;
    slingBead(tx, leg.id, agent, { noConvoy: true });
    hooked.push({ bead: leg.id, agent });
  }
  return {
    convoy: tx.convoys.get(convoy.id)!,
    legs: legs.map((b) => tx.beads.get(b.id)!),
    ...(synthesis ? { synthesis: tx.beads.get(synthesis.id)! } : {}),
    hooked,
    busy,
  };
}
