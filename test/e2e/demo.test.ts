import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

describe('npm run demo', () => {
  it('tells the whole story and cleans up after itself', () => {
    const out = execFileSync(process.execPath, [resolve(import.meta.dirname, '../../dist/demo/run-demo.js')], { encoding: 'utf8' });
    expect(out).toContain('initialized ledger gt/ledger (prefix shop)');
    expect(out).toMatch(/cannot be claimed: it is in_progress, assigned to alice on gt\/agents\/alice/);
    expect(out).toContain('alice: merged');
    expect(out).toContain('bob: merged');
    expect(out).toMatch(/Closing the schema unblocked the API[^\n]*\n\$ gt ready\n○ {2}shop-\w+ {2}P1 {2}feature {3}Build the orders API/);
    expect(out).toContain('+status: closed');
    // The convoy part: the hook closes on commit, the observer feeds the next bead and lands the convoy.
    expect(out).toMatch(/\$ gt hook alice\n⚓ alice: shop-\w+ {2}Write the API docs {2}\[hooked, P2\]/);
    expect(out).toMatch(/✓ shop-cv-\w+ {2}Orders release {2}2\/2 {2}\(landed\)/);
    expect(out).toContain('Subject: 🚚 Convoy landed: Orders release');
    // It ends with the town at a glance; without --keep it leaves no dashboard address (and no server).
    expect(out).toMatch(/\$ gt status\nTown at [^\n]+\n\n✓ nothing needs you\n/);
    expect(out).not.toContain('Look around in a browser');
    expect(out).not.toContain('The demo repository is kept at');
  });
});
