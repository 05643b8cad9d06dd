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
  for (const key of ['list', 'ready', 'list-new-tip', 'ready-new-tip']) {
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
