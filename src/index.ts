/**
 * gt as a library: what tests, servers and other tools call. The `gt` command line is one client.
 *
 *   const ledger = openLedger({ cwd });
 *   await ledger.init();
 *   const { result: bead } = await ledger.write((tx) => {
 *     const bead = createBead(tx, { title: 'Fix login' });
 *     return { result: bead, message: `create ${bead.id}: ${bead.title}` };
 *   });
 *   readyBeads((await ledger.view()).beads);
 *   ledger.close();
 *
 * Reads go through a view (`ledger.view()`), changes through one transaction per commit (`ledger.write`).
 * A change that may close beads goes through `writeAndLand(ledger, tx => …)` instead, so the convoys it
 * completes land in the same commit, as the CLI's close does.
 */
export { openLedger, ENTITY_KINDS, beadKind, convoyKind, agentKind, mailKind, moleculeKind } from './kinds.js';
export type { Ledger, LedgerOptions, Transaction, TxOutcome } from './ledger/ledger.js';
export type { LedgerView, LedgerTables, LedgerProblem } from './ledger/view.js';
export type { EntityKind, MergeNote } from './ledger/entity-kind.js';
export type { LedgerConfig, SettingValue } from './ledger/config.js';
export { mergeAgentBranches, describeMergeNote, type AgentMergeReport } from './ledger/agent-merge.js';
export { runDoctor, type DoctorFinding } from './ledger/doctor.js';
export { checkLedgerAt } from './ledger/check.js';
export { diffLedger, type LedgerDiff, type BeadChange, type ConvoyChange, type MoleculeChange, type FieldChange } from './work/ledger-diff.js';
export { LEDGER_REF, LEDGER_BRANCH, AGENT_REF_PREFIX, agentRef } from './ledger/layout.js';

export * from './errors.js';

// Beads
export type { Bead, BeadStatus, Dep, Comment } from './beads/bead.js';
export {
  createBead,
  updateBead,
  claimBead,
  closeBead,
  reopenBead,
  setStatus,
  addDependency,
  removeDependency,
  addComment,
  findBead,
  lookupBead,
  type CreateBeadInput,
  type UpdateBeadInput,
} from './beads/bead-service.js';
export { readyBeads, blockedBeads, computeBlockers, statusOf, describeBlocker, type Blocker } from './beads/readiness.js';
export { listBeads, ledgerStats, dependentsOf, type BeadFilter, type LedgerStats } from './beads/queries.js';
export { putBead } from './beads/bead-kind.js';
export { parseDepSpec, parsePriority, parseStatus, parseTitle } from './beads/bead-input.js';

// Convoys
export type { Convoy } from './convoys/convoy.js';
export {
  createConvoy,
  addToConvoy,
  removeFromConvoy,
  closeConvoy,
  lookupConvoy,
  progressOf,
  strandedConvoys,
  landComplete,
  listConvoys,
  parseAddress,
  type CreateConvoyInput,
  type ConvoyProgress,
} from './convoys/convoy-service.js';

// Agents and mail
export type { AgentRecord } from './agents/agent.js';
export { bindCheckout, unbindCheckout, checkoutAgent } from './agents/checkout.js';
export { hookedOn } from './agents/hook.js';
export { knownAgents } from './agents/agent-overview.js';
export type { Mail, MailKind } from './mail/mail.js';
export { sendMail, sendNudge, inboxOf, unreadFor, readMail, replyTo, lookupMail, type SendInput } from './mail/mail-service.js';

// Molecules
export type { Molecule } from './molecules/molecule.js';
export {
  pourMolecule,
  pourWisp,
  stepDone,
  changeMolecule,
  lookupMolecule,
  activeMolecules,
  type PourOptions,
  type StepDoneResult,
} from './molecules/molecule-service.js';
export { WispStore } from './molecules/wisp-store.js';
export { moleculeBrief, stepBrief, type MoleculeBrief, type StepBrief } from './molecules/molecule-brief.js';
export { progressOf as moleculeProgress, type MoleculeProgress } from './molecules/progress.js';

// Work that spans domains
export { slingBead, unslingBead, finishHookedWork, touchAgent, type SlingResult } from './work/hook-service.js';
export { planBatch, slingBatch, parseTaskSpec, type TaskInput, type BatchInput, type BatchResult } from './work/convoy-sling.js';
export { planConvoyRun, runConvoyPlan } from './work/convoy-run.js';
export { primeInfo, primeText, MAYOR, MAYOR_GUIDE, type PrimeInfo } from './work/prime.js';
export { nudgeAgent } from './work/nudge.js';
export { writeAndLand, landConvoysClosedIn, beadsClosedIn, landedNotice, markStepDone } from './work/close-and-land.js';
export { submitWork, queueOrder, recordMerged, recordConflict, recordFailed, escalateIfDue, rejectAndHandBack, refineryCloseRule, closeRuleOf, IN_REVIEW_LABEL, type SubmitResult } from './work/merge-queue.js';

// The merge queue
export { mrKind, MR_STATUSES, type MergeRequest, type MrStatus } from './mrs/mr.js';
export { lookupMr, latestRequest, requestsFor, submitRequest, claimRequest, retryRequest, rejectRequest } from './mrs/mr-service.js';

// Processes
export { spawnPolecat, spawnConvoy, livePolecats, type SpawnOptions, type SpawnResult, type ConvoySpawnResult } from './polecats/spawn.js';
export { runPolecatLoop, type LoopOptions, type LoopExit } from './polecats/loop.js';
export { stopPolecatProcesses, endPolecatSession, type StoppedProcesses } from './polecats/processes.js';
export { requestHandoff, type HandoffResult } from './polecats/handoff.js';
export { polecatList, peekPolecat, type PolecatInfo, type PolecatState, type ListContext } from './polecats/list.js';
export { lastActivity, type Activity, type ActivitySource } from './polecats/activity.js';
export { findStalls, stallStep, isStalled, type Stall, type StallStep } from './polecats/stall.js';
export { stopPolecat, removePolecat, gcPolecats, type StopResult, type RemoveResult, type GcResult, type RescueInfo } from './polecats/remove.js';
export { runRefinery, type RefineryAction, type RefineryOptions } from './refinery/refinery.js';
export { submitForReview, type Submission } from './refinery/submit.js';
export { finishWork, type DoneResult } from './refinery/done.js';
export { observe, startObserving, type ObserveOptions, type ObserveReport, type ObserveAction } from './observer/observe.js';
export { watchRefs, type RefWatchOptions } from './observer/watch.js';
export { loopStatus, recordRunning, runningRecords, LOOPS, type LoopName, type LoopStatus, type RunningRecord } from './observer/running.js';

// The town at a glance (gt status, gt dashboard)
export { townOf, readTown, ledgerCommits, type Town, type TownContext, type TownConvoy, type TownAgent, type TownMergeRequest, type TownMail, type Need, type NeedKind, type Activity as TownActivity } from './town/town.js';
export { startDashboard, type Dashboard, type DashboardOptions } from './dashboard/server.js';

// Settings (gt config): shared in gt.yaml, overridden locally and by GT_<SECTION>_<KEY>
export { SETTINGS, SETTING_KEYS, DEFAULT_POLECAT_NAMES, settingSpec, parseSettingText, envNameOf, type SettingSpec, type SettingType } from './settings/registry.js';
export {
  settingsOf,
  resolveSettings,
  setSetting,
  unsetSetting,
  setLocalSetting,
  unsetLocalSetting,
  localSettingsPath,
  type Settings,
  type EffectiveSetting,
  type SettingSource,
  type SettingsContext,
} from './settings/settings-service.js';
