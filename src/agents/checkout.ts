/**
 * Which agent a checkout belongs to. A worktree is a place on this machine, so the binding is
 * machine-local: a file `gt-agent` in the checkout's own git dir (for a linked worktree, its private
 * one), never on the ledger. Git hooks read it with a plain `test -f`, without starting gt.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CHECKOUT_AGENT_FILE = 'gt-agent';

export function checkoutAgent(gitDir: string): string | undefined {
  try {
    const name = readFileSync(join(gitDir, CHECKOUT_AGENT_FILE), 'utf8').trim();
    return name === '' ? undefined : name;
  } catch {
    return undefined;
  }
}

export function bindCheckout(gitDir: string, agent: string): void {
  writeFileSync(join(gitDir, CHECKOUT_AGENT_FILE), `${agent}\n`);
}

export function unbindCheckout(gitDir: string): void {
  rmSync(join(gitDir, CHECKOUT_AGENT_FILE), { force: true });
}
