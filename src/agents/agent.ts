/** An agent record: a worker identity. Its hook is not stored here: the beads hooked on it are the hook. */
import { defineRecordKind } from '../ledger/record-kind.js';
import { agentNameProblem } from '../ledger/names.js';

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
  /** Its last session process, as a decimal pid, on `session_host`, started at `session_started_at`. */
  session_pid?: string;
  session_host?: string;
  session_started_at?: string;
  /** Hooked on a polecat with no session slot free (`polecats.max`): waiting since then for the witness to start it. */
  queued_at?: string;
  /** The bead the witness's restarts count for; `restarts` (decimal) of its session since it was slung, the last at `last_restart_at`. */
  restart_bead?: string;
  restarts?: string;
  last_restart_at?: string;
  /** The escalation mail the witness sent when the agent became stuck on `restart_bead` (once per bead). */
  escalation_mail?: string;
  edited?: Record<string, string>;
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
    { name: 'session_host', field: { type: 'text' }, merge: 'stamped' },
    { name: 'session_started_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'queued_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'restart_bead', field: { type: 'text' }, merge: 'stamped' },
    { name: 'restarts', field: { type: 'text', pattern: /^(0|[1-9][0-9]{0,5})$/, hint: 'a whole number' }, merge: 'stamped' },
    { name: 'last_restart_at', field: { type: 'time' }, merge: 'stamped' },
    { name: 'escalation_mail', field: { type: 'text' }, merge: 'stamped' },
  ],
});
