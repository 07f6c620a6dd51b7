import { describe, expect, it } from 'vitest';
import { ANOMALY_TAXONOMY, COARSE_TYPES, coarseTypeOfRealIadCode, groupOfType } from './index';

describe('anomaly taxonomy (docs/METHOD.md §3)', () => {
  it('has 8 coarse types and 60 keywords in two groups of four', () => {
    expect(ANOMALY_TAXONOMY.map((c) => c.name)).toEqual([...COARSE_TYPES]);
    expect(ANOMALY_TAXONOMY.reduce((n, c) => n + 1 + c.synonyms.length, 0)).toBe(60);
    expect(ANOMALY_TAXONOMY.filter((c) => c.group === 'Surface anomalies').map((c) => c.name)).toEqual([
      'Contamination',
      'Presence of foreign objects',
      'Scratch',
      'Missing parts',
    ]);
    expect(groupOfType('Abrasion')).toBe('Structural anomalies');
  });

  it('maps Real-IAD defect codes, pit to Hole', () => {
    expect(coarseTypeOfRealIadCode('AK')).toBe('Hole');
    expect(coarseTypeOfRealIadCode(' zw ')).toBe('Contamination');
    expect(coarseTypeOfRealIadCode('XX')).toBeUndefined();
  });
});
