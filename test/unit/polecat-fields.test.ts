import { describe, expect, it } from 'vitest';
import { agentKind, type AgentRecord } from '../../src/agents/agent.js';
import { formatKeyPath } from '../../src/ledger/validate.js';

const T = '2026-01-02T03:04:05.000Z';
const polecat = (): AgentRecord => ({ id: 'nux', role: 'polecat', state: 'working', created_at: T, updated_at: T, worktree: '/r/.git/gt/polecats/nux', session_pid: '4242', session_host: 'box', session_started_at: T });

describe('the session fields of an agent record', () => {
  it('are accepted when well formed', () => {
    expect(agentKind.problems(polecat())).toEqual([]);
  });

  it('refuse a pid that is not a process id, a start that is not a time, a worktree that is not text', () => {
    const problems = agentKind.problems({ ...polecat(), session_pid: '0x12', session_started_at: 'yesterday', worktree: 7 } as unknown as AgentRecord);
    expect(problems.map((p) => formatKeyPath(p.keyPath)).sort()).toEqual(['session_pid', 'session_started_at', 'worktree']);
  });

  it('merge like the other stamped agent fields: the later edit wins', () => {
    const base = polecat();
    const ours = { ...base, session_pid: '100', edited: { session_pid: '2026-01-02T05:00:00.000Z' } };
    const theirs = { ...base, session_pid: '200', worktree: '/elsewhere', edited: { session_pid: '2026-01-02T06:00:00.000Z', worktree: '2026-01-02T06:00:00.000Z' } };
    const { value } = agentKind.merge(base, ours, theirs);
    expect(value.session_pid).toBe('200');
    expect(value.worktree).toBe('/elsewhere');
  });
});
