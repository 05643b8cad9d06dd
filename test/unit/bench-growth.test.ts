import { describe, expect, it } from 'vitest';
import { formatGrowth, type RowReport, type SectionReport } from '../../src/bench/report.js';

function row(key: string, medianMs: number): RowReport {
  return { key, command: `gt ${key}`, medianMs, minMs: medianMs, maxMs: medianMs, samplesMs: [medianMs], medianCpuMs: undefined, maxRssMb: undefined, target: '-', pass: undefined };
}

function section(beads: number, floorMs: number, rssMb: number, medians: Record<string, number>): SectionReport {
  return {
    title: `${beads}`,
    beads,
    repo: 'small',
    informational: beads !== 10_000,
    rows: Object.entries(medians).map(([k, v]) => row(k, v)),
    nativeMs: { medianMs: floorMs, minMs: floorMs, maxMs: floorMs, samplesMs: [floorMs] },
    gtOverNative: {},
    peakRssMb: rssMb,
    peakRssPass: undefined,
    mergePrepMs: undefined,
    mergeWrites: 0,
    load: [0, 0],
  };
}

describe('the growth table of npm run bench', () => {
  it('needs two sizes', () => {
    expect(formatGrowth([section(1000, 10, 100, { show: 100 })])).toBeUndefined();
  });

  it('checks single-bead commands against 1.3x growth, whole-ledger reads against the floor, and memory at 50,000 beads', () => {
    const growth = formatGrowth([
      section(50_000, 500, 300, { show: 120, update: 200, list: 900, ready: 950 }),
      section(1000, 20, 100, { show: 100, update: 100, list: 100, ready: 100 }),
      section(10_000, 100, 150, { show: 110, update: 150, list: 140, ready: 160 }),
    ])!;
    expect(growth.text.split('\n')[0]).toBe('== growth with the ledger: 1,000 / 10,000 / 50,000 beads ==');
    expect(growth.failures).toEqual([
      'gt update: 2.00x from 1k to 50k beads (goal <= 1.3x)',
      'gt ready: 1.60x the native floor at 10k beads (goal <= 1.5x)',
      'peak RSS 300 MB at 50k beads (goal <= 250 MB)',
    ]);
    expect(growth.text).toMatch(/gt show +100\.0 +110\.0 +120\.0 +1\.20x .*pass/);
    expect(growth.text).toMatch(/gt list .*1\.40x +1\.80x .*pass/);
  });
});
