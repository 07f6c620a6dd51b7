import { describe, expect, it } from 'vitest';
import { indicesByLabel, labelsDigest } from '../src/tfjs/index';

describe('example labels for trainers', () => {
  it('lists each label’s indices, labels in first-seen order', () => {
    const groups = indicesByLabel(['no', 'yes', 'no', 'other', 'yes']);
    expect([...groups.keys()]).toEqual(['no', 'yes', 'other']);
    expect([...groups.values()]).toEqual([[0, 2], [1, 4], [3]]);
  });

  it('digests labels into 12 hex digits that change with any label or their order', () => {
    const a = labelsDigest(['normal', 'anomalous']);
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(labelsDigest(['normal', 'anomalous'])).toBe(a);
    expect(labelsDigest(['anomalous', 'normal'])).not.toBe(a);
    expect(labelsDigest(['normal', 'normal'])).not.toBe(a);
    expect(labelsDigest(undefined)).toBeUndefined();
  });
});
