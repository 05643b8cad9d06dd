import { describe, expect, it } from 'vitest';
import { AGENT_EVENTS_KEPT, agentKind, withAgentEvent, type AgentRecord } from '../../src/agents/agent.js';
import { formatKeyPath } from '../../src/ledger/validate.js';

const T = '2026-01-02T03:04:05.000Z';
const polecat = (): AgentRecord => ({
  id: 'nux',
  role: 'polecat',
  state: 'stuck',
  created_at: T,
  updated_at: T,
  worktree: '/r/.git/gt/polecats/nux',
  session_pid: '4242',
  session_host: 'box',
  session_started_at: T,
  restart_bead: 'gt-abc',
  restarts: '3',
  last_restart_at: T,
  escalation_mail: 'gt-m-1x2y',
});

describe('the witness fields of an agent record', () => {
  it('are accepted when well formed, and a queued polecat has queued_at', () => {
    expect(agentKind.problems(polecat())).toEqual([]);
    expect(agentKind.problems({ id: 'slit', role: 'polecat', state: 'working', created_at: T, updated_at: T, queued_at: T })).toEqual([]);
    expect(agentKind.problems({ ...polecat(), agent_pid: '4243', base: 'a'.repeat(40) })).toEqual([]);
    const bad = agentKind.problems({ ...polecat(), agent_pid: 'x', base: 'main' } as unknown as AgentRecord);
    expect(bad.map((p) => formatKeyPath(p.keyPath)).sort()).toEqual(['agent_pid', 'base']);
  });

  it('refuse a restart count that is not a whole number and times that are not times', () => {
    const problems = agentKind.problems({ ...polecat(), restarts: '-1', last_restart_at: 'now', queued_at: 'soon' } as unknown as AgentRecord);
    expect(problems.map((p) => formatKeyPath(p.keyPath)).sort()).toEqual(['last_restart_at', 'queued_at', 'restarts']);
  });

  it('merge as stamped fields: the later edit wins', () => {
    const base = polecat();
    const ours = { ...base, restarts: '1', edited: { restarts: '2026-01-02T05:00:00.000Z' } };
    const theirs = { ...base, restarts: '2', edited: { restarts: '2026-01-02T06:00:00.000Z' } };
    expect(agentKind.merge(base, ours, theirs).value.restarts).toBe('2');
  });

  it('keep events recorded on two branches, newest last, and only the newest AGENT_EVENTS_KEPT', () => {
    const base = withAgentEvent(polecat(), T, 'witness: started from the queue (pid 1)');
    const ours = withAgentEvent(base, '2026-01-02T05:00:00.000Z', 'loop: session ended, bead closed');
    const theirs = withAgentEvent(base, '2026-01-02T04:00:00.000Z', 'witness:   nudged\n(stalled)');
    expect(theirs.events?.[1]).toBe('2026-01-02T04:00:00.000Z witness: nudged (stalled)');
    const merged = agentKind.merge(base, ours, theirs).value;
    expect(merged.events).toEqual([base.events![0], theirs.events![1], ours.events![1]]);
    let many = polecat();
    for (let i = 0; i < AGENT_EVENTS_KEPT + 5; i++) many = withAgentEvent(many, `2026-01-02T03:${String(i).padStart(2, '0')}:00.000Z`, `event ${i}`);
    expect(many.events).toHaveLength(AGENT_EVENTS_KEPT);
    expect(many.events!.at(-1)).toContain(`event ${AGENT_EVENTS_KEPT + 4}`);
    expect(agentKind.problems(many)).toEqual([]);
    expect(agentKind.problems({ ...polecat(), events: ['no time here'] }).map((p) => formatKeyPath(p.keyPath))).toEqual(['events[0]']);
  });
});
