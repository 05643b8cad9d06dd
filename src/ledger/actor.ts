import { hostname } from 'node:os';
import type { Signature } from '../git/object-format.js';
import type { UserIdentity } from '../git/identity.js';
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

/** What an overseer commit is signed with when git knows no user (no user.name, no GIT_AUTHOR_NAME). */
export const OVERSEER_FALLBACK: UserIdentity = { name: OVERSEER, email: `${OVERSEER}@gt.local` };

/**
 * An agent signs as itself (`<name>@gt.local`); the overseer as the person git knows (`user`), so a
 * ledger commit in `git log` says who did it. Either way the actor's name is in a trailer (`actorTrailers`).
 */
export function signatureOf(actor: Actor, when: Date, user: UserIdentity = OVERSEER_FALLBACK): Signature {
  return {
    ...(actor.isOverseer ? user : { name: actor.name, email: `${actor.name}@gt.local` }),
    timestamp: Math.floor(when.getTime() / 1000),
    timezoneOffset: -when.getTimezoneOffset(),
  };
}

/** The trailer naming the actor (all commits) and, for an agent, the machine it wrote on. */
export const ACTOR_TRAILER = 'Gt-Actor';
export const HOST_TRAILER = 'Gt-Host';

/** `message` with the actor's trailers as its last paragraph. */
export function withActorTrailers(message: string, actor: Actor): string {
  const trailers = [`${ACTOR_TRAILER}: ${actor.name}`, ...(actor.isOverseer ? [] : [`${HOST_TRAILER}: ${hostname()}`])];
  return `${message.replace(/\n+$/, '')}\n\n${trailers.join('\n')}\n`;
}

/** The actor a ledger commit names in its trailer; undefined for commits made before trailers existed. */
export function actorOfMessage(message: string): string | undefined {
  return new RegExp(`^${ACTOR_TRAILER}: (\\S+)$`, 'm').exec(message)?.[1];
}
