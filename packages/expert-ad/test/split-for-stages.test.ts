import { describe, expect, it } from 'vitest';
import { PAPER_PA_SFT_SHARE, splitForStages } from '../src/index';

// 30 anomalous and 70 normal records, labels interleaved so that order matters.
const records = Array.from({ length: 100 }, (_, i) => ({ id: `r${String(i).padStart(3, '0')}`, label: i % 10 < 3 ? ('anomalous' as const) : ('normal' as const) }));
const ids = (rs: Array<{ id: string }>): string[] => rs.map((r) => r.id);

describe('splitForStages', () => {
  it('cuts each label at its share: two disjoint sets that hold every record once', () => {
    const { paSft, scGrpo } = splitForStages(records, { paSftShare: 0.5, seed: 3 });
    expect(paSft.filter((r) => r.label === 'anomalous')).toHaveLength(15);
    expect(paSft.filter((r) => r.label === 'normal')).toHaveLength(35);
    expect(scGrpo).toHaveLength(50);
    expect(new Set([...ids(paSft), ...ids(scGrpo)]).size).toBe(100);
  });

  it("defaults to the paper's 2.9K / 3K share, rounded per label", () => {
    expect(PAPER_PA_SFT_SHARE).toBeCloseTo(2.9 / 5.9, 12);
    const { paSft } = splitForStages(records);
    // 30 × 0.4915 = 14.75 → 15; 70 × 0.4915 = 34.41 → 34.
    expect(paSft.filter((r) => r.label === 'anomalous')).toHaveLength(15);
    expect(paSft.filter((r) => r.label === 'normal')).toHaveLength(34);
  });

  it('keeps the input order in both sets', () => {
    const { paSft, scGrpo } = splitForStages(records, { seed: 1 });
    expect(ids(paSft)).toEqual([...ids(paSft)].sort());
    expect(ids(scGrpo)).toEqual([...ids(scGrpo)].sort());
  });

  it('is the same for the same seed and differs for another', () => {
    const a = ids(splitForStages(records, { seed: 7 }).paSft);
    expect(ids(splitForStages(records, { seed: 7 }).paSft)).toEqual(a);
    expect(ids(splitForStages(records, { seed: 8 }).paSft)).not.toEqual(a);
    // Not the first records of each label: the cut is made in a shuffled order.
    const anomalousOf = (rs: typeof records): string[] => ids(rs.filter((r) => r.label === 'anomalous'));
    expect(anomalousOf(splitForStages(records, { seed: 7 }).paSft)).not.toEqual(anomalousOf(records).slice(0, 15));
  });

  it('takes all or nothing at the ends and refuses a share outside [0, 1]', () => {
    expect(splitForStages(records, { paSftShare: 1 }).scGrpo).toEqual([]);
    expect(splitForStages(records, { paSftShare: 0 }).paSft).toEqual([]);
    expect(() => splitForStages(records, { paSftShare: 1.2 })).toThrow(/paSftShare must be between 0 and 1, got 1.2/);
    expect(() => splitForStages(records, { paSftShare: Number.NaN })).toThrow(RangeError);
  });
});
