/** An agent record: a worker identity. Its hook is not stored here: the beads hooked on it are the hook. */
import { defineRecordKind } from '../ledger/record-kind.js';
import { agentNameProblem } from '../ledger/names.js';
import type { Seen, Writes } from '../ledger/merge/causal.js';

export const AGENT_ROLES = ['polecat', 'crew', 'witness', 'refinery', 'mayor', 'deacon', 'dog'] as const;
export type AgentRole = (typeof AGENT_ROLES)[number];

export const AGENT_STATES = ['idle', 'working', 'stuck'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export interface AgentRecord {
  /** The agent's name, as in `--as` and `gt/agents/<name>`. */
  id: string;
  role: AgentRole;
  /** As of the last sling, done or unsling; `gt agents` also derives it from the hook. */
  state: AgentState;
  description?: string;
  created_at: string;
  updated_at: string;
  last_activity?: string;
  /** The polecat's sandbox: the worktree gt made for it (`gt sling --spawn`), on the machine `session_host`. */
  worktree?: string;
  /**
   * Its propulsion loop (`gt polecat run`), as a decimal pid, on `session_host`; `session_started_at` is
   * when the loop's current (or last) agent session started.
   */
  session_pid?: string;
  /** The agent process the loop runs now (`sh -c runtime.command`, leader of its own process group); absent between sessions. */
  agent_pid?: string;
  session_host?: string;
  session_started_at?: string;
  /** The commit its sandbox branched from when it was made. */
  base?: string;
  /** Hooked on a polecat with no session slot free (`polecats.max`): waiting since then for the witness to start it. */
  queued_at?: string;
  /** The bead the witness's restarts count for; `restarts` (decimal) of its session since it was slung, the last at `last_restart_at`. */
  restart_bead?: string;
  restarts?: string;
  last_restart_at?: string;
  /** The escalation mail the witness sent when the agent became stuck on `restart_bead` (once per bead). */
  escalation_mail?: string;
  /** When the witness last nudged its stalled session; activity after it ends that stall episode. */
  nudged_at?: string;
  /**
   * What gt did to this agent and why, newest last: `<ISO time> <text>` lines (witness restarts, nudges,
   * loop sessions). A set, so events recorded on two branches are both kept; the newest AGENT_EVENTS_KEPT stay.
   */
  events?: string[];
  edited?: Record<string, string>;
  /** Who wrote what this file has seen (ledger/merge/causal.ts). */
  seen?: Seen;
  writes?: Writes;
}

/** How many events an agent record keeps (older ones are dropped as new ones come). */
export const AGENT_EVENTS_KEPT = 50;

const EVENT_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z [^\n]+$/;
function eventProblem(value: string): string | undefined {
  return EVENT_PATTERN.test(value) ? undefined : 'an event is one line: "<ISO time> <text>"';
}

/** The record with one more event (`now` and one line of text), keeping the newest AGENT_EVENTS_KEPT. */
export function withAgentEvent<T extends AgentRecord>(agent: T, now: string, text: string): T {
  const line = `${now} ${text.replace(/\s+/g, ' ').trim()}`;
  const events = [...(agent.events ?? []), line].sort();
  return { ...agent, events: events.slice(-AGENT_EVENTS_KEPT) };
}

declare module '../ledger/view.js' {
  interface LedgerTables {
    agents: AgentRecord;
  }
}

export const agentKind = defineRecordKind<AgentRecord>({
  what: 'agent',
  dir: 'agents',
  fields: [
    { name: 'id', field: { type: 'text', check: agentNameProblem }, required: true, merge: 'fixed' },
    { name: 'role', field: { type: 'enum', values: AGENT_ROLES }, required: true, merge: 'stamped' },
    { name: 'state', field: { type: 'enum', values: AGENT_STATES }, required: true, merge: 'stamped' },
    { name: 'description', field: { type: 'text' }, merge: 'stamped' },
    { name: 'created_at', field: { type: 'time' }, required: true, merge: 'fixed' },
    { name: 'updated_at', field: { type: 'time' }, required: true, merge: 'max' },
    { name: 'last_activity', field: { type: 'time' }, merge: 'max' },
    { name: 'worktree', field: { type: 'text' }, merge: 'stamped' },
    { name: 'session_pid', field: { type: 'text', pattern: /^[1-9][0-9]{0,9}$/, hint: 'a process id' }, merge: 'stamped' },
    { name: 'agent_pid', field: { type: 'text', pattern: /^[1-9][0-9]{0,9}$/, hint: 'a process id' }, merge: 'stamped' },
    { name: 'base', field: { type: 'text', pattern: /^[0-9a-f]{40}([0-9a-f]{24})?$/, hint: 'a commit id' }, merge: 'stamped' },
    { name: 'session_host', field: { type: 'text' }, merge: 'stamped' },
    { name: 'session_started_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'queued_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'restart_bead', field: { type: 'text' }, merge: 'stamped' },
    { name: 'restarts', field: { type: 'text', pattern: /^(0|[1-9][0-9]{0,5})$/, hint: 'a whole number' }, merge: 'stamped' },
    { name: 'last_restart_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'escalation_mail', field: { type: 'text' }, merge: 'stamped' },
    { name: 'nudged_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'events', field: { type: 'set', check: eventProblem }, merge: 'set' },
  ],
});
