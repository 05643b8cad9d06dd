import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { resolve } from 'node:path';
import { killProcessesOf } from '../helpers/sessions.js';

/** Processes whose working directory is (or was, before it was deleted) under `dir`. */
function processesUnder(dir: string): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(`${dir}/`);
      } catch {
        return false;
      }
    });
}

describe('npm run demo', () => {
  it('tells the whole story and cleans up after itself, polecats, refinery and many clones included', () => {
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
    // The polecats chapter: 6 beads on 3 polecats, one session crashes once, the witness restarts it, the convoy lands.
    expect(out).toMatch(/\$ gt convoy sling 'Storefront polish' --file \S+ --spawn 3\n🚚 shop-cv-\w+: Storefront polish with 6 beads\n/);
    expect(out.match(/⚓ shop-\w+ hooked on polecat \w+, loop \d+/g)).toHaveLength(3);
    expect(out).toMatch(/↻ restarted \w+ \(shop-\w+, restart 1\/\d\)/);
    expect(out).toMatch(/🚚 shop-cv-\w+: Storefront polish\n {3}status: closed \(All tracked beads closed\) {3}progress: 6\/6\n/);
    expect(out).toContain('Subject: 🚚 Convoy landed: Storefront polish');
    expect(out).toMatch(/\$ gt polecat list\nalice +idle[^\n]*\n(?:\w+ +idle [^\n]*\/\.git\/gt\/polecats\/\w+\n){3}/);
    // gt peek of the restarted polecat: its session killed its loop and itself, the witness started a new loop, which ran the bead again.
    const peek = out.split('$ gt peek ')[1]!.split('\n── ')[0]!;
    const [, name, bead] = /^(\w+) -n \d+\n[\s\S]*scripted agent \1: killing my loop \d+ and myself on (shop-\w+) \(once\)\n/.exec(peek) ?? [];
    expect(name).toBeDefined();
    expect(peek).toContain(`loop of ${name} started (witness restart 1/3)`);
    expect(peek.split(`loop of ${name} started (witness restart 1/3)`)[1]).toContain(`scripted agent ${name}: working on ${bead} (Cache product images)`);
    // The refinery chapter: 5 requests tested as one batch, bisected; 3 merged, 1 conflict (its bead slung back), 1 bounced by the tests.
    const [, firstRun, secondRun] = out.split('\n$ gt refinery run --once\n').map((part) => part.split('\n$ ')[0]!);
    expect(firstRun).toMatch(/^… batch (shop-mr-\w+, ){4}shop-mr-\w+ failed together/);
    expect(firstRun!.match(/^✓ merged shop-mr-\w+ \(polecat\/\w+\) into main at \w+: shop-\w+ closed$/gm)).toHaveLength(3);
    expect(firstRun).toMatch(/^✗ shop-mr-\w+ \(polecat\/\w+\) conflicts with main in home\.txt: shop-\w+ slung to \w+$/m);
    expect(firstRun).toMatch(/^✗ shop-mr-\w+ \(polecat\/\w+\): the tests failed \(exit 1\): sh test\.sh; shop-\w+ back to \w+$/m);
    expect(firstRun).not.toContain('🚚 landed');
    // Before the last merge the convoy is open; the bounced request keeps the tests' tail.
    expect(out).toMatch(/🚚 shop-cv-\w+: Summer sale\n {3}status: open {3}progress: 3\/6\n/);
    expect(out).toMatch(/Resolve conflict merging polecat\/\w+ into main/);
    expect(out).toMatch(/test output \(tail\):\n {5}prices\.txt:1:\w+ shop-\w+: Show prices with VAT BROKEN\n {5}FAIL: a page is broken\n/);
    expect(out).toMatch(/\n {2}Notes\n\s+shop-mr-\w+: the tests failed \(exit 1\): sh test\.sh\. Last lines of the output:\n\s+prices\.txt:1:[^\n]* BROKEN\n\s+FAIL: a page is broken\n/);
    expect(out).toMatch(/scripted agent \w+: kept both sides in home\.txt/);
    expect(out).toMatch(/scripted agent \w+: shop-\w+ came back from the refinery; fixing prices\.txt/);
    // The last run merges the resolution and the fix, and the convoy lands only then, after its last merge.
    expect(secondRun!.match(/^✓ merged /gm)).toHaveLength(3);
    expect(secondRun).toMatch(/^(✓ merged [^\n]*\n){3}🚚 landed shop-cv-\w+ "Summer sale" \(6 beads\)$/m);
    expect(out).toMatch(/🚚 shop-cv-\w+: Summer sale\n {3}status: closed \(All tracked beads closed\) {3}progress: 6\/6\n/);
    expect(out).toContain('Subject: 🚚 Convoy landed: Summer sale');
    const graph = out.split('$ git log --graph --oneline main\n')[1]!.split('\n$ ')[0]!;
    expect(graph.match(/Merge polecat\/\w+ into main \(shop-mr-/g)).toHaveLength(5);
    expect(out).toMatch(/\$ git show main:home\.txt\nWelcome to the webshop\n(\w+ shop-\w+: Announce [^\n]+\n){2}/);
    expect(out).toMatch(/\$ git status --short --branch\n## main\n/);
    // Many clones: the laptop adopts the ledger, pulls the office's work natively with no conflict, the
    // office reviews what came in, both observers land the convoy, and after syncing there is one landing mail.
    const clones = out.split('\n── Many clones')[1]!.split('\n── The town at a glance')[0]!;
    expect(clones).toContain("$ (laptop) gt init\nadopted origin's ledger: gt/ledger follows origin/gt/ledger (prefix shop)");
    expect(clones).toMatch(/\$ \(laptop, gt\/ledger checked out\) git pull --no-rebase --no-edit\n(Auto-merging [^\n]+\n)+Merge made by the 'ort' strategy\.\n/);
    expect(clones).toContain('no conflict markers in any file');
    expect(clones).not.toMatch(/^(<<<<<<<|>>>>>>>)/m);
    expect(clones).toMatch(/\n {2}status: open {3}priority: P0 {3}type: task\n {2}labels: payments\n/);
    expect(clones).toMatch(/\$ \(office\) gt diff --markdown \w+\.\.gt\/ledger\n### Ledger changes `\w+\.\.gt\/ledger`\n\n\*\*1 bead created, 1 bead changed\*\*/);
    expect(clones).toContain('  - labels: +payments');
    expect(clones.match(/^🚚 landed shop-cv-\w+ "Gift cards" \(1 bead\)$/gm)).toHaveLength(2);
    expect(clones).toMatch(/\$ \(office\) gt observe\nrecorded commit (\w+) on (shop-\w+)\nclosed \2 \(commit \1\)\n/);
    expect(clones).toMatch(/\$ \(office\) git rev-parse gt\/ledger\n(\w{40})\n\$ \(laptop\) git rev-parse gt\/ledger\n\1\n/);
    const landingMails = [...clones.matchAll(/\(the Gift cards landing mails\)\n((?:[^\n$][^\n]*\n)*)/g)].map((m) => m[1]!.trim().split('\n'));
    expect(landingMails).toHaveLength(2);
    expect(landingMails[0]).toHaveLength(1);
    expect(landingMails[0]![0]).toMatch(/^shop-m-\w+ {2}🚚 Convoy landed: Gift cards \(shop-cv-\w+\)$/);
    expect(landingMails[1]).toEqual(landingMails[0]);
    // It ends with the town at a glance; without --keep it leaves no dashboard address (and no server).
    expect(out).toMatch(/\$ gt status\nTown at [^\n]+\n\n✓ nothing needs you\n/);
    expect(out).not.toContain('Look around in a browser');
    expect(out).not.toContain('The demo repository is kept at');
    // No witness, loop or agent session outlives the demo (and none is left to the next test if one did).
    const root = /\$ git init (\S+)\/webshop\n/.exec(out)![1]!;
    try {
      expect(processesUnder(root)).toEqual([]);
    } finally {
      killProcessesOf(root);
    }
  });
});
