import { describe, expect, it } from 'vitest';
import {
  answerReward,
  consistencyReward,
  easyR1ComputeScore,
  locationReward,
  referenceAccuracyReward,
  scGrpoReward,
  tagValue,
  trlRewardFunctions,
  verlComputeScore,
} from './index';

const NO = '<answer>No</answer>';
const YES = '<location>top left</location><type>scratch</type><answer>Yes</answer>';
const goodNormal = '<think>Uniform texture.</think><answer>no</answer>';
const goodAnomalous = '<think>A thin line.</think><location>upper left corner</location><type>scratch mark</type><answer>Yes</answer>';

describe('consistencyReward (reference regexes)', () => {
  it('rewards the pattern the ground truth calls for', () => {
    expect(consistencyReward(goodNormal, NO)).toBe(1);
    expect(consistencyReward(goodAnomalous, YES)).toBe(1);
    expect(consistencyReward(goodNormal, YES)).toBe(0);
    expect(consistencyReward(goodAnomalous, NO)).toBe(0);
  });

  it('reads the label from the solution text when it has no <answer> tag', () => {
    expect(consistencyReward(goodNormal, ' No ')).toBe(1);
    expect(consistencyReward(goodNormal, 'maybe')).toBe(0);
  });

  it('follows the regexes, not the stricter parser', () => {
    // The answer word itself is not checked by R_c, and tags inside <think> are allowed.
    expect(consistencyReward('<think>a</think><answer>banana</answer>', NO)).toBe(1);
    expect(consistencyReward('pre<think><answer></think><answer>x</answer>post', NO)).toBe(1);
    // Normal pattern: no <location> anywhere, even after </answer>.
    expect(consistencyReward('<think>a</think><answer>no</answer><location>', NO)).toBe(0);
    // Adjacency is required: whitespace between </think> and <answer> breaks it.
    expect(consistencyReward('<think>a</think> <answer>no</answer>', NO)).toBe(0);
    // Multi-line content matches (DOTALL).
    expect(consistencyReward('<think>a\nb</think><location>x\ny</location><type>t</type><answer>yes</answer>', YES)).toBe(1);
    // Wrong order and missing tags.
    expect(consistencyReward('<think>a</think><type>t</type><location>x</location><answer>yes</answer>', YES)).toBe(0);
    expect(consistencyReward('<think>a</think><location>x</location><answer>yes</answer>', YES)).toBe(0);
    expect(consistencyReward('', YES)).toBe(0);
    expect(consistencyReward('<think>a</think><answer>no', NO)).toBe(0);
  });

  it('is linear on a megabyte of adversarial text', () => {
    const big = '<think>'.repeat(150_000) + '</think>';
    expect(consistencyReward(big, YES)).toBe(0);
    expect(consistencyReward(`${big}<answer>no</answer>`, NO)).toBe(1);
  });
});

describe('tag extraction and answerReward', () => {
  it('takes the first tag on one line, trimmed and lower-cased', () => {
    expect(tagValue('<answer>\nyes</answer><answer> No </answer>', 'answer')).toBe('no');
    expect(tagValue('<type>A\rB</type>', 'type')).toBe('a\rb'); // Python's `.` matches \r
    expect(tagValue('<answer>yes', 'answer')).toBeUndefined();
  });

  it('is exact about the answer word', () => {
    expect(answerReward('<answer> YES </answer>', YES)).toBe(1);
    expect(answerReward('<answer>yes.</answer>', YES)).toBe(0);
    expect(answerReward('no answer tag', NO)).toBe(0);
    expect(answerReward('<answer>maybe</answer>', '<answer>maybe</answer>')).toBe(0);
    expect(answerReward([{ role: 'assistant', content: '<answer>no</answer>' }], NO)).toBe(1);
    expect(answerReward([{ role: 'assistant', content: [{ type: 'text', text: '<answer>no</answer>' }] }], NO)).toBe(1);
  });
});

describe('locationReward', () => {
  it('compares grid cells', () => {
    expect(locationReward('upper left corner', 'top left')).toBe(1);
    expect(locationReward('slightly right of the centre', 'right')).toBe(1);
    expect(locationReward('', 'center')).toBe(1);
    expect(locationReward('bottom', 'center')).toBe(0);
    // On 5×5, left = ⌊5/6⌋ = 0 and centre = ⌊15/6⌋ = 2.
    expect(locationReward('top left', 'upper left', { gridSize: 5 })).toBe(1);
    expect(locationReward('top left', 'center', { gridSize: 5 })).toBe(0);
  });
});

describe('scGrpoReward, paper preset (eq. 9)', () => {
  it('scores a perfect anomalous answer 4 and a perfect normal one 2', () => {
    // R_c 1, R_a 1, R_l 1 (upper left corner = top left = cell 1), R_t("scratch mark","scratch") = 0.85 (containment).
    expect(scGrpoReward(goodAnomalous, YES)).toEqual({ total: 3.85, components: { consistency: 1, answer: 1, location: 1, type: 0.85 } });
    expect(scGrpoReward(goodNormal, NO)).toEqual({ total: 2, components: { consistency: 1, answer: 1, location: 0, type: 0 } });
  });

  it('counts location and type only when the answer is right', () => {
    const wrongAnswer = '<think>a</think><location>top left</location><type>scratch</type><answer>no</answer>';
    expect(scGrpoReward(wrongAnswer, YES)).toEqual({ total: 1, components: { consistency: 1, answer: 0, location: 0, type: 0 } });
  });

  it('does not credit an absent tag', () => {
    // Missing <location>: the empty text would map to the centre, but an absent tag scores 0.
    const centre = '<location>center</location><type>hole</type><answer>Yes</answer>';
    expect(scGrpoReward('<think>a</think><type>hole</type><answer>yes</answer>', centre).components).toEqual({
      consistency: 0,
      answer: 1,
      location: 0,
      type: 1,
    });
  });

  it('applies weights and grid size', () => {
    const weights = { consistency: 0.5, answer: 2, location: 0, type: 1 };
    // 0.5·1 + 2·1 + 0·1 + 1·0.85
    expect(scGrpoReward(goodAnomalous, YES, { weights }).total).toBeCloseTo(3.35, 12);
    expect(scGrpoReward(goodNormal, NO, { weights }).total).toBe(2.5);
  });

  it('never throws on malformed completions', () => {
    const inputs = ['', '<think>', '</answer><answer>', '<think><think></think>', 'x'.repeat(1_000_000), '\u0000\uffff', '<answer>yes</answer>'];
    for (const text of inputs) {
      for (const solution of [NO, YES, '', 'garbage']) {
        const reward = scGrpoReward(text, solution);
        expect(Number.isFinite(reward.total)).toBe(true);
        expect(scGrpoReward(text, solution, { preset: 'reference' }).total).toBeGreaterThanOrEqual(0);
      }
    }
    expect(scGrpoReward('<answer>yes</answer>', 'garbage').total).toBe(0);
  });
});

describe('reference preset (the released code)', () => {
  it('counts location and type even when the answer is wrong', () => {
    const wrongAnswer = '<think>a</think><location>upper left</location><type>scratch</type><answer>no</answer>';
    // (R_t 1 + R_l 1)/2 + R_a 0 = 1; R_c = 1 (the anomalous regex does not look at the answer word).
    expect(referenceAccuracyReward(wrongAnswer, YES)).toBe(1);
    expect(scGrpoReward(wrongAnswer, YES, { preset: 'reference' })).toEqual({
      total: 2,
      components: { consistency: 1, answer: 0, location: 1, type: 1 },
    });
  });

  it('halves the sum of the type and location rewards', () => {
    // (0.85 + 1)/2 + 1 = 1.925; plus R_c 1.
    expect(referenceAccuracyReward(goodAnomalous, YES)).toBeCloseTo(1.925, 12);
    expect(scGrpoReward(goodAnomalous, YES, { preset: 'reference' }).total).toBeCloseTo(2.925, 12);
    // Only the type tag present on both sides: (R_t + 0)/2 + R_a.
    expect(referenceAccuracyReward('<type>scratch</type><answer>yes</answer>', YES)).toBe(1.5);
  });

  it('is R_a alone for a no solution, and 0 for a ground truth other than yes/no', () => {
    expect(referenceAccuracyReward(goodNormal, NO)).toBe(1);
    expect(referenceAccuracyReward('<answer>yes</answer>', NO)).toBe(0);
    expect(referenceAccuracyReward('<answer>maybe</answer>', '<answer>maybe</answer>')).toBe(0);
  });
});

describe('RL engine adapters', () => {
  it('TRL functions return one score per completion that sum to the paper total', () => {
    const fns = trlRewardFunctions();
    const completions = [goodAnomalous, goodNormal, 'garbage'];
    const solution = [YES, NO, YES];
    const components = Object.entries(fns).filter(([name]) => name !== 'total');
    expect(components.map(([name]) => name)).toEqual(['consistency', 'answer', 'location', 'type']);
    const parts = components.map(([, f]) => f(completions, solution));
    const summed = completions.map((_, i) => parts.reduce((s, p) => s + (p[i] as number), 0));
    expect(summed).toEqual(fns.total(completions, solution));
    expect(fns.total(completions, solution)).toEqual([3.85, 2, 0]);
    expect(() => fns.total(completions, [YES])).toThrow(/3 completions but 1 solutions/);
  });

  it('verl and EasyR1 shapes', () => {
    expect(verlComputeScore('iad-r1', goodNormal, NO, {})).toEqual({ score: 2, consistency: 1, answer: 1, location: 0, type: 0 });
    expect(easyR1ComputeScore([{ response: goodNormal, ground_truth: NO }])).toEqual([
      { overall: 2, consistency: 1, answer: 1, location: 0, type: 0 },
    ]);
  });
});
