import { describe, expect, it } from 'vitest';
import { matchAnomalyCategory, normaliseTypeText, typeReward } from './index';

describe('typeReward, the worked examples of docs/METHOD.md §3', () => {
  it.each([
    ['hole !', 'hole', 0.85],
    ['!!!', 'hole', 0.85],
    ['surface anomaly', 'scratch', 0.3],
    ['surface anomaly', 'hole', 0],
    ['scratches', 'scratch', 0.85],
    ['dent', 'deformation', 0],
  ])('(%j, %j) → %f', (predicted, truth, expected) => {
    expect(typeReward(predicted, truth)).toBe(expected);
  });

  it.each([
    // 0.6 + 0.25 × ratio('scrach','scratch') = 0.6 + 0.25 × 12/13
    ['scrach', 'scratch', 0.6 + 0.25 * (12 / 13), 0.830769],
    // "wear mark" is contained in "wear marks": confidence 9/10
    ['wear marks', 'abrasion', 0.6 + 0.25 * 0.9, 0.825],
    // ratio('foreign-object','foreign object') = 2·13/28
    ['foreign-object', 'foreign object', 0.6 + 0.25 * (26 / 28), 0.832142],
    // "bent" is contained in "bent component": confidence 4/14
    ['bent', 'deformation', 0.6 + 0.25 * (4 / 14), 0.671428],
  ])('(%j, %j) → %f (≈ %f)', (predicted, truth, expected, printed) => {
    const reward = typeReward(predicted, truth);
    expect(reward).toBeCloseTo(expected, 12);
    expect(Math.floor(reward * 1e6) / 1e6).toBe(printed);
  });
});

describe('typeReward, each step of the algorithm', () => {
  it('step 1: an empty text scores 0 before normalisation, a blank one does not', () => {
    expect(typeReward('', 'hole')).toBe(0);
    expect(typeReward('hole', '')).toBe(0);
    // "   " normalises to "" which is contained in anything (step 8).
    expect(typeReward('   ', 'hole')).toBe(0.85);
  });

  it('step 2: normalises case, whitespace and punctuation, without a final trim', () => {
    expect(normaliseTypeText('  Foreign   Object!! ')).toBe('foreign object');
    expect(normaliseTypeText('hole !')).toBe('hole ');
    expect(normaliseTypeText('Through-Hole\t(Ø 2mm)')).toBe('through-hole ø 2mm');
    expect(normaliseTypeText('a\u0085b\u001fc')).toBe('a b c');
  });

  it('steps 3 and 6: a group name scores 0.3 against a type of that group, in both directions', () => {
    expect(typeReward('Structural anomalies', 'fracture')).toBe(0.3);
    expect(typeReward('dirt', 'surface anomalies')).toBe(0.3);
    // Both name groups: not step 6; equal texts → 1.
    expect(typeReward('structural anomaly', 'Structural Anomaly')).toBe(1);
  });

  it('step 4: exact keywords have confidence 1; the first strictly highest containment wins', () => {
    expect(matchAnomalyCategory('debris')).toEqual({ category: 'Presence of foreign objects', group: 'Surface anomalies', confidence: 1 });
    // "surface" is contained in 7 keywords; the shortest, "surface wear" (12), gives 7/12 — but
    // "surface scratch" (15) comes earlier with 7/15 < 7/12, so Abrasion wins on score.
    expect(matchAnomalyCategory('surface')).toEqual({ category: 'Abrasion', group: 'Structural anomalies', confidence: 7 / 12 });
    // "chip" equals a keyword; "chips" contains it (4/5).
    expect(matchAnomalyCategory('chips')?.confidence).toBe(0.8);
    expect(matchAnomalyCategory('')).toBeUndefined();
    expect(matchAnomalyCategory('xyz')).toBeUndefined();
  });

  it('step 5: different groups score 0 even for similar texts', () => {
    expect(typeReward('surface damage', 'surface scratch')).toBe(0);
  });

  it('step 7 and 8: equal texts 1, containment 0.85', () => {
    expect(typeReward('Hole', 'hole')).toBe(1);
    expect(typeReward('large hole', 'hole')).toBe(0.85);
  });

  it('step 10: same category scores 0.6 + 0.25 × the weaker confidence', () => {
    expect(typeReward('stain', 'dirt')).toBe(0.85);
    expect(typeReward('cavity', 'puncture')).toBe(0.85);
  });

  it('step 11: same group, different category scores 0.3', () => {
    expect(typeReward('scratch', 'stain')).toBe(0.3);
    expect(typeReward('hole', 'wear')).toBe(0.3);
  });

  it('step 9: without a category only strong textual similarity counts, × 0.4', () => {
    // Neither "crackk" nor "crack" matches a keyword; ratio = 2·5/11.
    expect(typeReward('crackk', 'crack')).toBe(0.85); // "crack" is contained in "crackk": step 8 first
    expect(typeReward('crakc', 'crack')).toBeCloseTo((2 * 4) / 10 * 0.4, 12);
    expect(typeReward('zzz', 'hole')).toBe(0);
  });
});
