/** The results table: medians, spread, peak memory, and pass/fail against the 10,000-bead targets. */
import { MERGE_AGENTS, MERGE_EDITS, type Measurement, type ScenarioResult } from './scenarios.js';

export interface Target {
  limit: number;
  unit: 'ms' | 'MB' | 'x';
}

/** Targets at 10,000 beads. Commands without one are reported for information. */
export const TARGETS: Record<string, Target> = {
  list: { limit: 150, unit: 'ms' },
  ready: { limit: 150, unit: 'ms' },
  'list-new-tip': { limit: 150, unit: 'ms' },
  'ready-new-tip': { limit: 150, unit: 'ms' },
  create: { limit: 200, unit: 'ms' },
  update: { limit: 200, unit: 'ms' },
  close: { limit: 200, unit: 'ms' },
  cold: { limit: 2000, unit: 'ms' },
  merge: { limit: 2000, unit: 'ms' },
};
export const PEAK_RSS_TARGET_MB = 200;
export const BIG_RATIO_GOAL = 1.5;
export const TARGET_SIZE = 10_000;

export interface RowReport {
  key: string;
  command: string;
  medianMs: number;
  minMs: number;
  maxMs: number;
  samplesMs: number[];
  medianCpuMs: number | undefined;
  maxRssMb: number | undefined;
  target: string;
  /** undefined: informational. */
  pass: boolean | undefined;
  /** Big repository only: this median over the small repository's. */
  ratioToSmall?: number;
  ratioPass?: boolean;
}

export interface SectionReport {
  title: string;
  beads: number;
  repo: 'small' | 'big';
  informational: boolean;
  rows: RowReport[];
  nativeMs: { medianMs: number; minMs: number; maxMs: number; samplesMs: number[] };
  gtOverNative: Record<string, number>;
  peakRssMb: number | undefined;
  peakRssPass: boolean | undefined;
  mergePrepMs: number | undefined;
  mergeWrites: number;
  load: [number, number];
}

const mb = (kb: number | undefined): number | undefined => (kb === undefined ? undefined : kb / 1024);

export function buildSection(
  title: string,
  beads: number,
  repo: 'small' | 'big',
  result: ScenarioResult,
  small?: SectionReport,
): SectionReport {
  const informational = beads !== TARGET_SIZE;
  const rows: RowReport[] = result.rows.map((m: Measurement) => {
    const target = TARGETS[m.key];
    const row: RowReport = {
      key: m.key,
      command: m.label,
      medianMs: m.medianMs,
      minMs: m.minMs,
      maxMs: m.maxMs,
      samplesMs: m.samplesMs,
      medianCpuMs: m.medianCpuMs,
      maxRssMb: mb(m.maxRssKb),
      target: target ? `<= ${target.limit} ms` : '-',
      pass: target && !informational ? m.medianMs <= target.limit : undefined,
    };
    const before = small?.rows.find((r) => r.key === m.key);
    if (before) {
      row.ratioToSmall = m.medianMs / before.medianMs;
      row.ratioPass = row.ratioToSmall <= BIG_RATIO_GOAL;
    }
    return row;
  });
  const rss = rows.map((r) => r.maxRssMb).filter((v): v is number => v !== undefined);
  const peakRssMb = rss.length > 0 ? Math.max(...rss) : undefined;
  const gtOverNative: Record<string, number> = {};
  for (const key of ['list', 'ready', 'blocked', 'list-new-tip', 'ready-new-tip']) {
    const row = rows.find((r) => r.key === key);
    if (row) gtOverNative[key] = row.medianMs / result.native.medianMs;
  }
  return {
    title,
    beads,
    repo,
    informational,
    rows,
    nativeMs: { medianMs: result.native.medianMs, minMs: result.native.minMs, maxMs: result.native.maxMs, samplesMs: result.native.samplesMs },
    gtOverNative,
    peakRssMb,
    peakRssPass: peakRssMb === undefined || informational ? undefined : peakRssMb <= PEAK_RSS_TARGET_MB,
    mergePrepMs: result.merge.prepMs,
    mergeWrites: result.merge.writes,
    load: result.load,
  };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function verdict(pass: boolean | undefined, informational: boolean): string {
  if (pass === undefined) return informational ? 'info' : '-';
  return pass ? 'pass' : 'FAIL';
}

export function formatSection(s: SectionReport): string {
  const big = s.repo === 'big';
  const header = [
    pad('command', 40),
    pad('median ms', 10, true),
    pad('min-max ms', 12, true),
    pad('cpu ms', 7, true),
    pad('max RSS MB', 11, true),
    pad('target', 11, true),
    pad('result', 7, true),
    ...(big ? [pad('big/small', 10, true), pad('<=1.5x', 7, true)] : []),
  ].join(' ');
  const lines = [`== ${s.title} ==`, header, '-'.repeat(header.length)];
  for (const r of s.rows) {
    lines.push(
      [
        pad(r.command, 40),
        pad(r.medianMs.toFixed(1), 10, true),
        pad(`${r.minMs.toFixed(0)}-${r.maxMs.toFixed(0)}`, 12, true),
        pad(r.medianCpuMs === undefined ? '?' : r.medianCpuMs.toFixed(0), 7, true),
        pad(r.maxRssMb === undefined ? '?' : r.maxRssMb.toFixed(1), 11, true),
        pad(s.informational ? '(info)' : r.target, 11, true),
        pad(verdict(r.pass, s.informational), 7, true),
        ...(big
          ? [pad(r.ratioToSmall === undefined ? '-' : `${r.ratioToSmall.toFixed(2)}x`, 10, true), pad(r.ratioPass === undefined ? '-' : r.ratioPass ? 'pass' : 'FAIL', 7, true)]
          : []),
      ].join(' '),
    );
  }
  lines.push(
    [
      pad('native floor: ls-tree -r | cat-file --batch', 40),
      pad(s.nativeMs.medianMs.toFixed(1), 10, true),
      pad(`${s.nativeMs.minMs.toFixed(0)}-${s.nativeMs.maxMs.toFixed(0)}`, 12, true),
    ].join(' '),
  );
  lines.push(
    [
      pad('peak RSS over all gt processes', 40),
      pad('', 10, true),
      pad('', 12, true),
      pad('', 7, true),
      pad(s.peakRssMb === undefined ? '?' : s.peakRssMb.toFixed(1), 11, true),
      pad(s.informational ? '(info)' : `<= ${PEAK_RSS_TARGET_MB} MB`, 11, true),
      pad(verdict(s.peakRssPass, s.informational), 7, true),
    ].join(' '),
  );
  const ratios = Object.entries(s.gtOverNative)
    .map(([k, v]) => `${k} ${v.toFixed(1)}x`)
    .join(', ');
  lines.push(`gt / native floor: ${ratios}`);
  lines.push(
    s.mergePrepMs === undefined
      ? `merge prep: the same ${s.mergeWrites} agent edits as in the small repository (objects, refs and index carried over)`
      : `merge prep: ${s.mergeWrites} agent edits (${MERGE_AGENTS} agents x ${MERGE_EDITS}) through the library in-process, untimed: ${(s.mergePrepMs / 1000).toFixed(1)} s, ${(s.mergePrepMs / s.mergeWrites).toFixed(0)} ms per write`,
  );
  lines.push(`load average (1 min) at start / end: ${s.load[0].toFixed(2)} / ${s.load[1].toFixed(2)}${Math.max(...s.load) > 1.5 ? '  (other work was running: wall times are inflated)' : ''}`);
  return lines.join('\n');
}

/** Commands that touch one bead: their cost should not grow with the ledger (issue 13: at 50,000 beads within 1.3x of 1,000). */
export const SINGLE_BEAD_KEYS = ['show', 'create', 'update', 'close', 'comment'];
export const SINGLE_BEAD_GROWTH_GOAL = 1.3;
/** Whole-ledger reads against the native floor measured in the same run: within 1.5x at 10,000 beads, 2x at 50,000. */
export const FLOOR_GOALS: ReadonlyArray<{ size: number; ratio: number }> = [
  { size: 10_000, ratio: 1.5 },
  { size: 50_000, ratio: 2 },
];
const FLOOR_KEYS = ['list', 'ready', 'blocked'];
/** Peak memory of any command at 50,000 beads (issue 13). */
export const PEAK_RSS_50K_MB = 250;

export interface GrowthReport {
  text: string;
  failures: string[];
}

/**
 * One row per command across the ledger sizes run (the repositories holding only the ledger): the
 * medians, growth over the smallest size, and for whole-ledger reads the ratio to the native floor of
 * the same size. Undefined with fewer than two sizes.
 */
export function formatGrowth(sections: readonly SectionReport[]): GrowthReport | undefined {
  const small = sections.filter((s) => s.repo === 'small').sort((a, b) => a.beads - b.beads);
  if (small.length < 2) return undefined;
  const first = small[0]!;
  const last = small[small.length - 1]!;
  const sizeName = (n: number): string => (n % 1000 === 0 ? `${n / 1000}k` : String(n));
  const failures: string[] = [];
  const header = [pad('command', 34), ...small.map((s) => pad(`${sizeName(s.beads)} ms`, 9, true)), pad(`${sizeName(last.beads)}/${sizeName(first.beads)}`, 9, true), ...small.map((s) => pad(`/floor ${sizeName(s.beads)}`, 12, true)), pad('goal', 22, true)].join(' ');
  const lines = [`== growth with the ledger: ${small.map((s) => s.beads.toLocaleString('en-US')).join(' / ')} beads ==`, header, '-'.repeat(header.length)];
  for (const row of first.rows) {
    const medians = small.map((s) => s.rows.find((r) => r.key === row.key)?.medianMs);
    if (medians.some((m) => m === undefined)) continue;
    const growth = medians[medians.length - 1]! / medians[0]!;
    const floorRatios = small.map((s, i) => (FLOOR_KEYS.includes(row.key) ? medians[i]! / s.nativeMs.medianMs : undefined));
    let goal = '';
    if (SINGLE_BEAD_KEYS.includes(row.key) && last.beads >= 50_000) {
      const pass = growth <= SINGLE_BEAD_GROWTH_GOAL;
      goal = `${sizeName(last.beads)}/${sizeName(first.beads)} <= ${SINGLE_BEAD_GROWTH_GOAL}x ${pass ? 'pass' : 'FAIL'}`;
      if (!pass) failures.push(`${row.command}: ${growth.toFixed(2)}x from ${sizeName(first.beads)} to ${sizeName(last.beads)} beads (goal <= ${SINGLE_BEAD_GROWTH_GOAL}x)`);
    }
    if (FLOOR_KEYS.includes(row.key)) {
      const checks = FLOOR_GOALS.flatMap((g) => {
        const i = small.findIndex((s) => s.beads === g.size);
        return i < 0 ? [] : [{ ...g, ratio: floorRatios[i]!, goal: g.ratio }];
      });
      const missed = checks.filter((c) => c.ratio > c.goal);
      for (const c of missed) failures.push(`${row.command}: ${c.ratio.toFixed(2)}x the native floor at ${sizeName(c.size)} beads (goal <= ${c.goal}x)`);
      if (checks.length > 0) goal = `floor ${checks.map((c) => `<= ${c.goal}x@${sizeName(c.size)}`).join(', ')} ${missed.length === 0 ? 'pass' : 'FAIL'}`;
    }
    lines.push(
      [
        pad(row.command, 34),
        ...medians.map((m) => pad(m!.toFixed(1), 9, true)),
        pad(`${growth.toFixed(2)}x`, 9, true),
        ...floorRatios.map((r) => pad(r === undefined ? '-' : `${r.toFixed(2)}x`, 12, true)),
        pad(goal, 22, true),
      ].join(' '),
    );
  }
  lines.push([pad('native floor: ls-tree -r | cat-file --batch', 34), ...small.map((s) => pad(s.nativeMs.medianMs.toFixed(1), 9, true)), pad(`${(last.nativeMs.medianMs / first.nativeMs.medianMs).toFixed(2)}x`, 9, true)].join(' '));
  const rssGoal = small.find((s) => s.beads === 50_000);
  const rssPass = rssGoal?.peakRssMb === undefined ? undefined : rssGoal.peakRssMb <= PEAK_RSS_50K_MB;
  if (rssPass === false) failures.push(`peak RSS ${rssGoal!.peakRssMb!.toFixed(0)} MB at 50k beads (goal <= ${PEAK_RSS_50K_MB} MB)`);
  lines.push(
    [
      pad('peak RSS MB over all gt processes', 34),
      ...small.map((s) => pad(s.peakRssMb === undefined ? '?' : s.peakRssMb.toFixed(0), 9, true)),
      ...(rssPass === undefined ? [] : [pad('', 9), ...small.map(() => pad('', 12)), pad(`<= ${PEAK_RSS_50K_MB} MB@50k ${rssPass ? 'pass' : 'FAIL'}`, 22, true)]),
    ].join(' '),
  );
  return { text: lines.join('\n'), failures };
}
