import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openLedger } from '../../src/kinds.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { agentKind, type AgentRecord } from '../../src/agents/agent.js';
import { createBead, closeBead } from '../../src/beads/bead-service.js';
import { putBead } from '../../src/beads/bead-kind.js';
import { createConvoy } from '../../src/convoys/convoy-service.js';
import { sendMail } from '../../src/mail/mail-service.js';
import { mrKind, type MergeRequest } from '../../src/mrs/mr.js';
import { townOf, type Town } from '../../src/town/town.js';
import { loopStatus, recordRunning } from '../../src/observer/running.js';
import { makeRepo, type TestRepo } from '../helpers/repo.js';

const T = '2026-01-02T03:04:05.000Z';
const NOT_RUNNING = { observer: { running: false }, witness: { running: false }, refinery: { running: false } };
const agent = (id: string, over: Partial<AgentRecord> = {}): AgentRecord => ({ id, role: 'polecat', state: 'idle', created_at: T, updated_at: T, ...over });
const mr = (id: string, bead: string, status: MergeRequest['status']): MergeRequest => ({
  id,
  branch: 'polecat/nux',
  commit: 'a'.repeat(40),
  target: 'main',
  bead,
  agent: 'nux',
  priority: '2',
  status,
  attempts: '1',
  created_at: T,
  created_by: 'nux',
  updated_at: T,
});

let r: TestRepo;
let ledger: Ledger;
beforeEach(async () => {
  r = makeRepo();
  ledger = openLedger({ cwd: r.dir });
  await ledger.init('gt');
});
afterEach(() => {
  ledger.close();
  r.cleanup();
});

async function town(): Promise<Town> {
  return townOf(await ledger.view(), { commonDir: ledger.repo.paths.commonDir, now: Date.parse(T), stallAfterMs: 60_000, loops: loopStatus(ledger.repo.stateDir) });
}

describe('the town model', () => {
  it('gives each agent its state and activity colour, and puts what needs the overseer first', async () => {
    await ledger.write((tx) => {
      const [stuck, dead, queued, crew, done, loose, conflict, failed, queuedMr] = ['stuck', 'dead', 'queued', 'crew', 'done', 'loose', 'conflict', 'failed', 'queued mr'].map((title) => createBead(tx, { title }));
      for (const [b, who] of [[stuck, 'stuck-cat'], [dead, 'dead-cat'], [queued, 'queued-cat'], [crew, 'alice']] as const) putBead(tx, { ...b!, status: 'hooked', assignee: who });
      putBead(tx, { ...done!, assignee: 'done-cat' });
      closeBead(tx, done!.id, {});
      tx.put(agentKind, agent('stuck-cat', { state: 'stuck', restart_bead: stuck!.id, restarts: '3' }));
      // A pid no process has: its loop is gone while work is still on its hook.
      tx.put(agentKind, agent('dead-cat', { state: 'working', session_pid: '2147483', session_host: 'elsewhere' }));
      tx.put(agentKind, agent('queued-cat', { queued_at: T }));
      tx.put(agentKind, agent('done-cat'));
      tx.put(agentKind, agent('new-cat'));
      tx.put(agentKind, agent('alice', { role: 'crew' }));
      tx.put(mrKind, mr('gt-mr-1', conflict!.id, 'conflict'));
      tx.put(mrKind, mr('gt-mr-2', failed!.id, 'failed'));
      tx.put(mrKind, mr('gt-mr-3', queuedMr!.id, 'queued'));
      tx.put(mrKind, mr('gt-mr-4', queuedMr!.id, 'merged'));
      createConvoy(tx, { title: 'Stranded one', beads: [loose!.id, done!.id] });
      sendMail(tx, { to: 'overseer', from: 'witness', subject: '⚠ stuck-cat stuck' });
      sendMail(tx, { to: 'overseer', from: 'bob', subject: 'hello' });
      sendMail(tx, { to: 'overseer', from: 'witness', subject: 'a nudge is not mail', kind: 'nudge' });
      return { result: null, message: 'scene' };
    });
    const t = await town();
    const states = Object.fromEntries(t.agents.map((a) => [a.name, [a.state, a.activity]]));
    expect(states).toEqual({
      alice: ['working', 'active'],
      'dead-cat': ['dead', 'stuck'],
      'done-cat': ['idle', 'complete'],
      'new-cat': ['idle', 'waiting'],
      'queued-cat': ['queued', 'waiting'],
      'stuck-cat': ['stuck', 'stuck'],
    });
    expect(t.agents.find((a) => a.name === 'alice')!.hooked).toHaveLength(1);
    expect(t.needs.map((n) => n.kind)).toEqual(['escalation', 'stuck', 'dead', 'merge', 'merge', 'stranded']);
    expect(t.merge_queue.counts).toMatchObject({ queued: 1, conflict: 1, failed: 1, merged: 1, merging: 0 });
    expect(t.merge_queue.requests.map((m) => m.id)).toEqual(['gt-mr-3', 'gt-mr-1', 'gt-mr-2']);
    expect(t.mail).toMatchObject({ unread: 2, escalations: 1 });
    expect(t.convoys).toMatchObject([{ title: 'Stranded one', closed: 1, total: 2, stranded: true }]);
  });

  it('has nothing for the overseer in a quiet town', async () => {
    const t = await town();
    expect(t.needs).toEqual([]);
    expect(t.loops).toEqual(NOT_RUNNING);
  });
});

describe('the running loops', () => {
  it('counts a recorded loop while its process lives, and ignores a record left by a dead one', () => {
    const stateDir = ledger.repo.stateDir;
    const done = recordRunning(stateDir, 'gt watch', ['observer', 'witness']);
    expect(loopStatus(stateDir)).toMatchObject({ observer: { running: true, pid: process.pid, command: 'gt watch' }, witness: { running: true }, refinery: { running: false } });
    done();
    expect(loopStatus(stateDir)).toEqual(NOT_RUNNING);
    mkdirSync(join(stateDir, 'running'), { recursive: true });
    writeFileSync(join(stateDir, 'running', '2147483.json'), JSON.stringify({ pid: 2147483, started_at: T, command: 'gt watch', loops: ['observer'] }));
    expect(loopStatus(stateDir)).toEqual(NOT_RUNNING);
  });
});
