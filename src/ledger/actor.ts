import type { Signature } from '../git/object-format.js';
import { OVERSEER } from './layout.js';
import { checkAgentName } from './names.js';

/** Who runs a command: an agent (writes to its own branch) or the overseer (writes to the ledger). */
export interface Actor {
  name: string;
  isOverseer: boolean;
}

/**
 * `--as`, else GT_AGENT, else the agent the checkout is bound to (`gt agents bind`), else the overseer.
 * An empty `--as ''` or GT_AGENT='' stops there: the overseer, even in an agent's checkout.
 */
export function resolveActor(requested: string | undefined, checkoutAgent: () => string | undefined = () => undefined): Actor {
  const name = (requested ?? process.env.GT_AGENT ?? checkoutAgent() ?? '').trim();
  if (name === '' || name === OVERSEER) return { name: OVERSEER, isOverseer: true };
  return { name: checkAgentName(name), isOverseer: false };
}

export function signatureOf(actor: Actor, when: Date): Signature {
  return {
    name: actor.name,
    email: `${actor.name}@gt.local`,
    timestamp: Math.floor(when.getTime() / 1000),
    timezoneOffset: -when.getTimezoneOffset(),
  };
}
